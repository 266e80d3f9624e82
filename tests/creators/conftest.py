"""Creator fixtures: a localstripe server that also knows Connect accounts and transfers."""

import asyncio
import json
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from creators.services import click_buffer, click_ids, click_queue
from shop.models import Cart, Variant
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from tests.factories import make_brand, make_brand_user, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import live_listing, offer_for, sell
from tests.support.servers import free_port, loopback_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def connect_stripe_url(tmp_path_factory):
    """localstripe extended with Connect accounts and transfers, on a free loopback port."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("localstripe-connect")
    argv = [sys.executable, "-m", "tests.support.localstripe_with_transfers", str(port)]
    with loopback_server(argv, port=port, log_path=workdir / "server.log", cwd=ROOT) as url:
        yield url


class FakeConnect:
    def __init__(self, base_url: str):
        self.base_url = base_url

    def _call(self, method: str, path: str, data: bytes | None = None) -> dict:
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Authorization": "Bearer sk_test_kolshop"})
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def create_account(self) -> str:
        return self._call("POST", "/v1/accounts", b"type=express")["id"]

    def transfers(self, *, transfer_group: str | None = None) -> list[dict]:
        data = self._call("GET", "/v1/transfers")["data"]
        return [t for t in data if transfer_group is None or t["transfer_group"] == transfer_group]


@pytest.fixture
def fake_connect(settings, connect_stripe_url):
    settings.STRIPE_SECRET_KEY = "sk_test_kolshop"
    settings.STRIPE_API_BASE = connect_stripe_url
    fake = FakeConnect(connect_stripe_url)
    fake._call("DELETE", "/_config/connect")
    return fake


@pytest.fixture
def queue(settings, redis_url, monkeypatch) -> Iterator[redis.Redis]:
    """An empty click queue in the test Redis, no click ids reserved from an earlier test, and a click
    buffer of the test's own (flushed at the end, so no click reaches the next test's queue)."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    settings.REDIS_URL = redis_url
    monkeypatch.setattr(click_ids, "_id_block", click_ids._IdBlock())
    monkeypatch.setattr(click_buffer, "_buffer", None)
    yield client
    click_buffer.flush_clicks()
    assert click_ids.wait_for_refills(timeout=10)  # no refill ahead left to incrby after the next test's flushdb


@pytest.fixture
def two_brand_order(site_tree, fake_connect, shop_settings):
    """3 × A-1 at 24.01 (wholesale 10.00) from brand A and 1 × B-1 at 39.99 (wholesale 18.00) from brand B."""
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand_a, brand_b = make_brand("Alpha"), make_brand("Bravo")
    for brand in (brand_a, brand_b):
        brand.stripe_account_id = fake_connect.create_account()
        brand.save()
    creator = make_creator()
    make_product(brand=brand_a, variants=[("A-1", "25.00", 10)])
    make_product(brand=brand_b, variants=[("B-1", "40.00", 10)])
    listing_a = live_listing(offer_for(Variant.objects.get(sku="A-1"), user=make_brand_user(brand=brand_a)),
                             creator_id=creator.pk, price="24.01")
    listing_b = live_listing(offer_for(Variant.objects.get(sku="B-1"), user=make_brand_user(brand=brand_b),
                                       wholesale_price="18.00", recommended_price="35.00", max_price="45.00"),
                             creator_id=creator.pk, price="39.99")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=3, listing_id=listing_a.pk)
    add_line_to_cart(cart, sku="B-1", quantity=1, listing_id=listing_b.pk)
    order = confirm_payment(checkout(cart).order)
    line_a, line_b = order.lines.get(variant__sku="A-1"), order.lines.get(variant__sku="B-1")
    return order, (brand_a, brand_b), creator, line_a, line_b


@pytest.fixture
def sales(shop_settings, site_tree):
    """Anna sells 3 (and leaves 1 unpaid) and Ben 3 of one brand's offer; Anna also lists another brand's."""
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand, other_brand = make_brand(), make_brand()
    make_product(brand=brand, variants=[("REP-1", "25.00", 10)])
    make_product(brand=other_brand, variants=[("REP-2", "25.00", 10)])
    anna, ben = make_creator("anna"), make_creator("ben")
    offer = offer_for(Variant.objects.get(sku="REP-1"))
    anna_listing = live_listing(offer, creator_id=anna.pk, price="24.00")
    ben_listing = live_listing(offer, creator_id=ben.pk, price="20.00")
    other = live_listing(offer_for(Variant.objects.get(sku="REP-2")), creator_id=anna.pk, price="22.00")
    sell(anna_listing, 2)
    sell(anna_listing, 1)
    sell(anna_listing, 1, pay=False)  # pending: not sold
    sell(ben_listing, 3)
    return brand, anna, ben, anna_listing, other


@pytest.fixture
def no_running_loop() -> Iterator[None]:
    """This thread with no running event loop while the test runs loops of its own, as a server's thread has none
    (Playwright's sync API keeps its loop running in this thread for the session once a browser test started it)."""
    running = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(running)
