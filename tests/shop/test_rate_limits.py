"""Abuse limits on carts, adds, checkout and buy links, and the cap on stock one client may hold."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from shop.api_edge import domain_error_status
from shop.errors import DomainError
from shop.models import Cart, CartLine, Order, StockReservation
from shop.services.client_identity import client_key
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Ada Reader", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}


@pytest.fixture(autouse=True)
def _settings(shop_settings, steady_rate_limit_clock):
    shop_settings.KOLSHOP_RATE_LIMITS = {**shop_settings.KOLSHOP_RATE_LIMITS, "cart_create": "30/m",
                                         "cart_add": "60/m", "checkout": "10/m", "buy_link": "30/m"}
    shop_settings.KOLSHOP_MAX_RESERVED_UNITS_PER_CLIENT = 10
    shop_settings.KOLSHOP_TRUSTED_PROXIES = []
    shop_settings.KOLSHOP_TRUSTED_PROXY_COUNT = 0
    return shop_settings


def _limit(settings, scope: str, rate: str) -> None:
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, scope: rate}


def _assert_rate_limited(response, code: str = "rate_limited") -> None:
    assert response.status_code == 429
    assert response.json() == {"code": code, "message": response.json()["message"], "field": None}
    assert response.json()["message"]
    assert 1 <= int(response["Retry-After"]) <= 60


def test_two_hundred_carts_from_one_client_create_thirty_then_429(api):
    statuses = [api.post("/carts/").status_code for _ in range(200)]

    assert statuses == [201] * 30 + [429] * 170
    assert Cart.objects.count() == 30
    _assert_rate_limited(api.post("/carts/"))


def test_each_client_behind_our_proxy_has_its_own_cart_limit(settings):
    _limit(settings, "cart_create", "2/m")
    settings.KOLSHOP_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = Client(REMOTE_ADDR="10.0.0.2")

    statuses = [proxy.post("/api/v1/carts/", "{}", content_type="application/json",
                           headers={"X-Forwarded-For": reader}).status_code
                for reader in ["198.51.100.1"] * 3 + ["198.51.100.2"] * 3]

    assert statuses == [201, 201, 429, 201, 201, 429]
    assert Cart.objects.count() == 4


def test_adds_beyond_the_limit_are_refused_and_change_nothing(api, settings):
    _limit(settings, "cart_add", "3/m")
    variant_with_stock("HP-1", on_hand=50)
    token = api.post("/carts/").json()["token"]

    statuses = [api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1}).status_code for _ in range(4)]

    assert statuses == [201, 201, 201, 429]
    assert CartLine.objects.get().quantity == 3


def test_checkouts_beyond_the_limit_are_refused(api, settings):
    _limit(settings, "checkout", "2/m")
    variant_with_stock("HP-1", on_hand=50)
    carts = [cart_with(("HP-1", 1)) for _ in range(3)]

    responses = [api.post(f"/carts/{cart.token}/checkout", {"email": "ada@example.com", "fulfilment": "shipping",
                                                            "address": ADDRESS}) for cart in carts]

    assert [r.status_code for r in responses] == [201, 201, 429]
    _assert_rate_limited(responses[2])
    assert Order.objects.count() == 2


def test_one_client_may_hold_at_most_the_cap_across_its_carts(api):
    variant_with_stock("HOT-1", on_hand=100)
    carts = [cart_with(("HOT-1", quantity)) for quantity in (6, 4, 1)]

    responses = [api.post(f"/carts/{cart.token}/checkout", {"email": f"buyer{n}@example.com",
                                                            "fulfilment": "shipping", "address": ADDRESS})
                 for n, cart in enumerate(carts)]

    assert [r.status_code for r in responses] == [201, 201, 429]
    assert responses[2].json()["code"] == "reservation_cap"
    assert 14 * 60 < int(responses[2]["Retry-After"]) <= 15 * 60 + 1
    assert sorted(StockReservation.objects.values_list("quantity", flat=True)) == [4, 6]
    keys = set(StockReservation.objects.values_list("client_key", flat=True))
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert Order.objects.count() == 2
    # another client is not held back by the first one's reservations
    other = Client(REMOTE_ADDR="198.51.100.99").post(
        f"/api/v1/carts/{carts[2].token}/checkout",
        {"email": "other@example.com", "fulfilment": "shipping", "address": ADDRESS}, content_type="application/json")
    assert other.status_code == 201


def test_restarting_checkout_replaces_the_clients_own_hold(api):
    variant_with_stock("HOT-1", on_hand=100)
    cart = cart_with(("HOT-1", 8))
    body = {"email": "ada@example.com", "fulfilment": "shipping", "address": ADDRESS}

    statuses = [api.post(f"/carts/{cart.token}/checkout", body).status_code for _ in range(3)]

    assert statuses == [201, 201, 201]
    assert list(StockReservation.objects.values_list("quantity", flat=True)) == [8]


def test_a_single_checkout_larger_than_the_cap_is_a_409(api, settings):
    settings.KOLSHOP_MAX_RESERVED_UNITS_PER_CLIENT = 5
    variant_with_stock("HOT-1", on_hand=100)
    cart = cart_with(("HOT-1", 6))

    response = api.post(f"/carts/{cart.token}/checkout", {"email": "ada@example.com", "fulfilment": "shipping",
                                                          "address": ADDRESS})

    assert response.status_code == 409
    assert response.json() == {"code": "reservation_cap", "message": "One checkout can hold at most 5 items.",
                               "field": None}
    assert StockReservation.objects.count() == 0


def test_the_cap_frees_up_as_the_clients_holds_expire_also_across_midnight():
    variant_with_stock("HOT-1", on_hand=100)
    before_midnight = timezone.now().replace(hour=23, minute=55, second=0, microsecond=0)
    key_then = client_key(ip="198.51.100.5", now=before_midnight)
    checkout(cart_with(("HOT-1", 10)), email="first@example.com", client=key_then, now=before_midnight)

    after_midnight = before_midnight + timedelta(minutes=10)
    with pytest.raises(DomainError) as refused:
        checkout(cart_with(("HOT-1", 1)), email="second@example.com",
                 client=client_key(ip="198.51.100.5", now=after_midnight), now=after_midnight)
    after_expiry = before_midnight + timedelta(minutes=16)
    placed = checkout(cart_with(("HOT-1", 10)), email="third@example.com",
                      client=client_key(ip="198.51.100.5", now=after_expiry), now=after_expiry)

    assert (refused.value.code, domain_error_status(refused.value), refused.value.retry_after) == ("reservation_cap", 429, 301)
    assert placed.order.reservations.get().quantity == 10


def test_buy_links_beyond_the_limit_redirect_to_the_cart_without_adding(settings):
    _limit(settings, "buy_link", "2/m")
    variant_with_stock("MUG-1", on_hand=50)
    clients = [Client(REMOTE_ADDR="203.0.113.7") for _ in range(3)]

    responses = [reader.get("/buy/MUG-1/") for reader in clients]

    assert [(r.status_code, r["Location"]) for r in responses] == [(302, "/cart/")] * 3
    assert Cart.objects.count() == 2
    assert sorted(CartLine.objects.values_list("quantity", flat=True)) == [1, 1]
    assert "kolshop_cart" not in clients[2].session


def test_rate_limits_cost_no_queries(api, settings, django_assert_num_queries):
    _limit(settings, "cart_create", "2/m")
    api.post("/carts/")  # warm-up
    with django_assert_num_queries(1):  # the cart insert (a new cart has no lines to read): the count lives in the cache
        assert api.post("/carts/").status_code == 201
    with django_assert_num_queries(0):
        assert api.post("/carts/").status_code == 429


def test_reader_site_checkouts_beyond_the_limit_are_refused_and_place_nothing(settings):
    _limit(settings, "checkout", "2/m")
    variant_with_stock("HP-1", on_hand=50)
    reader = Client(REMOTE_ADDR="198.51.100.9")

    def buy_and_check_out(n: int):
        reader.get("/buy/HP-1/")  # a paid order closes its cart: each checkout starts from a new one
        return reader.post("/checkout/", {"email": f"ada{n}@example.com", "fulfilment": "pickup"}, follow=True)

    pages = [buy_and_check_out(n) for n in range(3)]

    assert Order.objects.count() == 2  # the third checkout is refused before anything is placed
    assert "Too many checkouts" in pages[2].content.decode()
