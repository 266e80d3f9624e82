"""The live-state endpoint: what readers see, at most four queries, none from the cache, ETags for pollers."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from content.live.notify import state_cache_key
from content.live.services import end_session, pin_product, start_flash_deal, start_session
from content.live.viewers import record_heartbeat
from shop.models import Stock
from shop.services.cart import add_to_cart
from tests.live.helpers import flash, lipstick, make_session
from tests.shop.helpers import cart_with, checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    cache.clear()
    return shop_settings


def _state(client, page):
    response = client.get(f"/api/live/{page.pk}/state/")
    assert response.status_code == 200
    return response.json()


def test_a_scheduled_session_shows_its_status_and_nothing_pinned(client):
    page = make_session(products=[lipstick()])

    state = _state(client, page)

    assert {key: state[key] for key in ("status", "version", "pin", "deals", "viewers")} == {
        "status": "scheduled", "version": 1, "pin": None, "deals": [], "viewers": 0}


def test_the_pin_shows_its_offer_at_the_running_flash_price_with_a_buy_link(client, django_capture_on_commit_callbacks):
    product = lipstick("LIP-1", price="20.00", on_hand=40)
    page = make_session(products=[product])
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page, now=timezone.now() - timedelta(seconds=30))
        deal = start_flash_deal(page, deal=flash(product.variants.get(), unit_cap=25)).promotion
        pin_product(page, product_id=product.pk)

    state = _state(client, page)

    assert state["status"] == "live"
    assert state["version"] == 5  # start, the deal, the shop's catalog change for its variant, the pin
    pin = state["pin"]
    assert {key: pin[key] for key in ("title", "sku", "price", "list_price", "currency", "available", "deal_id",
                                      "offset_seconds")} == {
        "title": "Lipstick LIP-1", "sku": "LIP-1", "price": "12.00", "list_price": "20.00", "currency": "USD",
        "available": 40, "deal_id": deal.pk, "offset_seconds": 30}
    assert pin["buy_url"].startswith("/buy/LIP-1/?ref=") and pin["buy_url"].endswith(f"&deal={deal.pk}")
    assert [(item["id"], item["remaining_units"], item["running"], item["ends_at"]) for item in state["deals"]] == [
        (deal.pk, 25, True, deal.ends_at.isoformat())]


def test_remaining_units_fall_with_holds_and_never_pass_the_stock(client, django_capture_on_commit_callbacks):
    product = lipstick("LIP-1", price="20.00", on_hand=40)
    page = make_session(products=[product])
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page)
        deal = start_flash_deal(page, deal=flash(product.variants.get(), unit_cap=25)).promotion
    cart = cart_with()
    add_to_cart(cart, sku="LIP-1", quantity=2, promotion_id=deal.pk)
    checkout(cart)
    cache.delete(state_cache_key(page.pk))
    assert _state(client, page)["deals"][0]["remaining_units"] == 23

    Stock.objects.filter(variant__sku="LIP-1").update(on_hand=12)  # a stock edit: 10 left to everyone
    cache.delete(state_cache_key(page.pk))

    assert _state(client, page)["deals"][0]["remaining_units"] == 10


def test_viewers_come_from_heartbeats_and_count_each_viewer_once(client):
    page = make_session(products=[lipstick()])
    for viewer in ("viewer-aaaa", "viewer-bbbb", "viewer-aaaa"):
        record_heartbeat(page.pk, viewer)
    client.post(f"/api/live/{page.pk}/heartbeat/", {"viewer": "viewer-cccc"})

    assert _state(client, page)["viewers"] == 3


def test_an_unchanged_state_answers_304_to_its_etag(client):
    page = make_session(products=[lipstick()])
    first = client.get(f"/api/live/{page.pk}/state/")

    again = client.get(f"/api/live/{page.pk}/state/", headers={"If-None-Match": first["ETag"]})

    assert (again.status_code, again["ETag"]) == (304, first["ETag"])
    assert first["Cache-Control"] == "public, max-age=2"


def test_an_unknown_or_unpublished_session_is_a_json_404(client):
    page = make_session(products=[lipstick()])
    page.unpublish()

    response = client.get(f"/api/live/{page.pk}/state/")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert client.get("/api/live/999999/state/").status_code == 404


def _deals(page, products):
    for product in products:
        start_flash_deal(page, deal=flash(product.variants.get()))


@pytest.mark.parametrize("deal_count", [1, 4])
def test_the_state_costs_four_queries_and_none_from_the_cache(client, django_assert_num_queries, deal_count,
                                                             django_capture_on_commit_callbacks):
    products = [lipstick(f"LIP-{number}") for number in range(deal_count)]
    page = make_session(products=products)
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page)
        _deals(page, products)
        pin_product(page, product_id=products[0].pk)
    _state(client, page)  # warm-up
    cache.delete(state_cache_key(page.pk))

    with django_assert_num_queries(4):
        state = _state(client, page)
    with django_assert_num_queries(0):
        cached = _state(client, page)

    assert len(state["deals"]) == deal_count
    assert cached == state


def test_an_ended_session_shows_no_deals_or_pin(client, django_capture_on_commit_callbacks):
    product = lipstick()
    page = make_session(products=[product])
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page)
        start_flash_deal(page, deal=flash(product.variants.get()))
        pin_product(page, product_id=product.pk)
        end_session(page)

    state = _state(client, page)

    assert (state["status"], state["pin"], state["deals"]) == ("ended", None, [])


def test_a_heartbeat_writes_nothing_to_the_database(client, django_assert_num_queries):
    page = make_session(products=[lipstick()])
    client.post(f"/api/live/{page.pk}/heartbeat/", {"viewer": "viewer-warm"})  # warm-up

    with django_assert_num_queries(0):
        response = client.post(f"/api/live/{page.pk}/heartbeat/", {"viewer": "viewer-dddd"})

    assert response.status_code == 204
    assert _state(client, page)["viewers"] == 2


def test_a_client_inventing_viewers_is_refused_and_adds_none(client, settings, steady_rate_limit_clock):
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "live_new_viewer": "3/m"}
    page = make_session(products=[lipstick()])

    statuses = [client.post(f"/api/live/{page.pk}/heartbeat/", {"viewer": f"viewer-{n:04d}"}).status_code
                for n in range(5)]
    again = [client.post(f"/api/live/{page.pk}/heartbeat/", {"viewer": f"viewer-{n:04d}"}).status_code
             for n in range(3) for _ in range(4)]  # the viewers already counted keep beating
    refused = client.post(f"/api/live/{page.pk}/heartbeat/", {"viewer": "viewer-9999"})

    assert statuses == [204, 204, 204, 429, 429]
    assert again == [204] * 12
    assert (refused.status_code, refused.json()["code"], int(refused["Retry-After"]) > 0) == (429, "rate_limited", True)
    assert _state(client, page)["viewers"] == 3
