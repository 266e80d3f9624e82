"""Cart API: lines by SKU with attribution, live prices, limits and clear 4xx errors."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.utils import timezone

from shop.attribution import Attribution, sign_attribution
from shop.models import Cart, CartLine, Variant
from tests.shop.helpers import variant_with_stock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(shop_settings):
    return shop_settings


def _new_cart(api) -> str:
    response = api.post("/carts/")
    assert response.status_code == 201
    return response.json()["token"]


def test_create_cart_returns_an_empty_cart_with_an_unguessable_token(api):
    response = api.post("/carts/")

    body = response.json()
    assert response.status_code == 201
    assert len(body["token"]) == 32
    assert body == {"token": body["token"], "currency": "USD", "item_count": 0, "subtotal": "0.00",
                    "max_quantity_per_variant": 10, "lines": []}


def test_add_line_keeps_the_buy_links_attribution(api):
    variant_with_stock("HP-1", price="49.90", on_hand=7)
    token = _new_cart(api)
    ref = sign_attribution(Attribution(creator_id=3, page_id=41, block_id="blk-9", click_id=77), sku="HP-1")

    response = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2, "attribution": ref})

    assert response.status_code == 201
    assert response.json()["lines"] == [{
        "sku": "HP-1", "product_title": Variant.objects.get(sku="HP-1").product.title, "variant_name": "",
        "quantity": 2, "unit_price": "49.90", "list_unit_price": "49.90", "currency": "USD",
        "line_total": "99.80", "available": 7,
        "attribution": {"creator_id": 3, "page_id": 41, "block_id": "blk-9"}, "promotion": None,
        "listing_id": None,
    }]
    line = CartLine.objects.get()
    assert (line.creator_id, line.page_id, line.block_id, line.click_id) == (3, 41, "blk-9", 77)


def test_adding_the_same_sku_again_grows_the_line_and_the_latest_link_wins(api):
    variant_with_stock("HP-1", on_hand=9)
    token = _new_cart(api)
    first, second = (sign_attribution(Attribution(creator_id=c, page_id=p), sku="HP-1") for c, p in ((1, 1), (2, 5)))
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1, "attribution": first})

    response = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2, "attribution": second})

    assert [(line["quantity"], line["attribution"]["creator_id"]) for line in response.json()["lines"]] == [(3, 2)]


def test_a_new_link_re_attributes_the_line_and_restarts_its_time(api):
    variant_with_stock("HP-1", on_hand=9)
    token = _new_cart(api)
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1, "attribution": sign_attribution(
        Attribution(creator_id=1, page_id=1, block_id="old", click_id=10), sku="HP-1")})
    CartLine.objects.update(attributed_at=timezone.now() - timedelta(days=10))
    before = timezone.now()

    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1, "attribution": sign_attribution(
        Attribution(creator_id=2, page_id=5, block_id="new"), sku="HP-1")})
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1})  # no link: the attribution stays

    line = CartLine.objects.get()
    assert (line.quantity, line.creator_id, line.page_id, line.block_id, line.click_id) == (3, 2, 5, "new", None)
    assert before <= line.attributed_at <= timezone.now()


def _signed_days_ago(monkeypatch, days: float, attribution: Attribution, *, sku: str | None) -> str:
    now = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: now - days * 86400)
        return sign_attribution(attribution, sku=sku)


@pytest.mark.parametrize(("issued_for", "age_days", "message"), [
    ("HP-1", 29.9, None),
    ("EB-1", 0, "The attribution token was issued for another product."),
    (None, 0, "The attribution token was issued for another product."),  # a page link's token
    ("HP-1", 30.1, "The attribution token has expired."),
])
def test_a_token_for_another_sku_or_past_the_window_is_refused(api, monkeypatch, shop_settings, issued_for,
                                                                 age_days, message):
    shop_settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 30
    variant_with_stock("HP-1", on_hand=5)
    variant_with_stock("EB-1", on_hand=5)
    token = _new_cart(api)
    ref = _signed_days_ago(monkeypatch, age_days, Attribution(creator_id=3, page_id=41, block_id="b"), sku=issued_for)

    response = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1, "attribution": ref})

    if message is None:
        assert response.status_code == 201
        assert list(CartLine.objects.values_list("creator_id", "block_id")) == [(3, "b")]
    else:
        assert (response.status_code, response.json()) == (
            400, {"code": "invalid_attribution", "message": message, "field": "attribution"})
        assert CartLine.objects.count() == 0


def test_prices_are_always_re_read_from_the_catalog(api):
    variant = variant_with_stock("HP-1", price="10.00")
    token = _new_cart(api)
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2, "unit_price": "0.01"})

    Variant.objects.filter(pk=variant.pk).update(price=Decimal("12.50"))
    response = api.get(f"/carts/{token}")

    assert response.json()["subtotal"] == "25.00"
    assert response.json()["lines"][0]["unit_price"] == "12.50"


def test_change_and_remove_lines_by_sku(api):
    variant_with_stock("A-1", price="3.00")
    variant_with_stock("B-1", price="4.00")
    token = _new_cart(api)
    api.post(f"/carts/{token}/lines", {"sku": "A-1", "quantity": 1})
    api.post(f"/carts/{token}/lines", {"sku": "B-1", "quantity": 1})

    changed = api.patch(f"/carts/{token}/lines/A-1", {"quantity": 4})
    removed = api.delete(f"/carts/{token}/lines/B-1")

    assert changed.status_code == 200
    assert changed.json()["subtotal"] == "16.00"
    assert removed.status_code == 200
    assert [(line["sku"], line["quantity"]) for line in removed.json()["lines"]] == [("A-1", 4)]
    assert removed.json()["subtotal"] == "12.00"


@pytest.mark.parametrize(("payload", "status", "code", "field"), [
    ({"sku": "NOPE", "quantity": 1}, 400, "unknown_sku", "sku"),
    ({"sku": "HP-1", "quantity": 0}, 400, "invalid_quantity", "quantity"),
    ({"sku": "HP-1", "quantity": -2}, 400, "invalid_quantity", "quantity"),
    ({"sku": "HP-1", "quantity": 11}, 400, "quantity_limit", "quantity"),
    ({"sku": "HP-1", "quantity": 6}, 409, "insufficient_stock", "quantity"),
    ({"sku": "HP-1", "quantity": "lots"}, 400, "invalid", "quantity"),
    ({"sku": "HP-1", "quantity": 1, "attribution": "forged"}, 400, "invalid_attribution", "attribution"),
])
def test_bad_lines_get_a_clear_error_and_change_nothing(api, payload, status, code, field):
    variant_with_stock("HP-1", on_hand=5)
    token = _new_cart(api)

    response = api.post(f"/carts/{token}/lines", payload)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["field"] == field
    assert CartLine.objects.count() == 0


def test_a_line_above_the_limit_is_refused_when_changed(api):
    variant_with_stock("HP-1", on_hand=50)
    token = _new_cart(api)
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 10})

    grown = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1})
    patched = api.patch(f"/carts/{token}/lines/HP-1", {"quantity": 11})
    zero = api.patch(f"/carts/{token}/lines/HP-1", {"quantity": 0})

    assert [grown.status_code, patched.status_code, zero.status_code] == [400, 400, 400]
    assert [grown.json()["code"], patched.json()["code"], zero.json()["code"]] == [
        "quantity_limit", "quantity_limit", "invalid_quantity"]
    assert CartLine.objects.get().quantity == 10


def test_a_cart_keeps_one_currency(api):
    variant_with_stock("USD-1", currency="USD")
    variant_with_stock("EUR-1", currency="EUR")
    token = _new_cart(api)
    api.post(f"/carts/{token}/lines", {"sku": "USD-1", "quantity": 1})

    response = api.post(f"/carts/{token}/lines", {"sku": "EUR-1", "quantity": 1})

    assert response.status_code == 409
    assert response.json() == {"code": "currency_mismatch", "field": "sku",
                               "message": "EUR-1 is priced in EUR; this cart is in USD."}


def test_unknown_cart_and_unknown_line_are_404(api):
    variant_with_stock("HP-1")
    token = _new_cart(api)

    assert api.get("/carts/not-a-token").json() == {"code": "cart_not_found", "message": "No cart with this token.",
                                                    "field": None}
    assert api.get("/carts/not-a-token").status_code == 404
    assert api.delete(f"/carts/{token}/lines/HP-1").status_code == 404
    assert api.patch(f"/carts/{token}/lines/HP-1", {"quantity": 2}).json()["code"] == "line_not_found"


@pytest.mark.parametrize("size", [1, 6])
def test_reading_a_cart_costs_the_same_queries_at_any_size(api, django_assert_num_queries, size):
    token = _new_cart(api)
    cart = Cart.objects.get(token=token)
    for number in range(size):
        variant = variant_with_stock(f"Q-{number}", on_hand=3)
        CartLine.objects.create(cart=cart, variant=variant, quantity=1)
    api.get(f"/carts/{token}")  # warm-up

    # cart, its lines with variants and products, availability (stock minus active reservations)
    with django_assert_num_queries(3):
        response = api.get(f"/carts/{token}")

    assert len(response.json()["lines"]) == size


def test_cart_and_order_endpoints_are_in_the_commerce_openapi_document(api):
    paths = api.get("/openapi.json").json()["paths"]

    assert {"/api/v1/carts", "/api/v1/carts/{token}", "/api/v1/carts/{token}/lines",
            "/api/v1/carts/{token}/lines/{sku}", "/api/v1/carts/{token}/checkout", "/api/v1/orders/{number}",
            "/api/v1/orders/{number}/pay"} <= set(paths)
