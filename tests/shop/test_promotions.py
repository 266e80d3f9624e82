"""Deals priced by one function through the real cart API, checkout and dummy gateway."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from shop.models import Cart, CartLine, Order, OrderStatus, Payment, Promotion
from shop.services.pricing import PromotionRefusal, price_line, promotion_usage
from shop.services.expiry import release_expired_reservations
from tests.factories import make_deal
from tests.shop.helpers import variant_with_stock

pytestmark = pytest.mark.django_db

# Constant whatever the number of lines: the deal and its units used are read once per request, and
# checkout locks all the cart's deals in one query and counts their units (everyone's, the buyer's) in two.
# 16 before the cart add read its lines once and answered from them; 12 before the API passed the token (the cart is
# found and stamped in one statement) and availability came with the variant and lines reads
# On PostgreSQL the line and its event are one statement (shop.services.write_batches).
ADD_LINE_QUERIES = 9 if connection.vendor == "postgresql" else 10
# 31 before: no availability read (stock is checked under its locks), attribution in one insert, no re-reads; 22
# before the cart was found by its token in its lock and the client's holds counted with the others' holds;
# +1 (supplyops): the order's fulfilment groups; 21 before a cart's first checkout skipped the read of pending
# orders to replace (Cart.checkouts_started); 20 (+1 on PostgreSQL) before the buyer's and client's locks were taken
# in the cart's UPDATE, the buyer's units read with the cart lines and "paid meanwhile?" in the payment event's insert
# On PostgreSQL the holds, the placed event and the attribution are one statement (shop.services.write_batches), with
# the order, its groups and lines (their keys taken ahead by the cart's lock and the lines' read: 3 fewer); the
# payment and its event are one statement.
CHECKOUT_QUERIES = 12 if connection.vendor == "postgresql" else 18
ADDRESS = {"name": "Ada Reader", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}


@pytest.fixture(autouse=True)
def _settings(shop_settings):
    return shop_settings


def _new_cart(api) -> str:
    return api.post("/carts/").json()["token"]


def _checkout(api, token: str, email: str = "ada@example.com"):
    return api.post(f"/carts/{token}/checkout", {"email": email, "fulfilment": "shipping", "address": ADDRESS})


def _cart_whose_deal_ended(api) -> str:
    """A cart with a line of HP-1 at a deal (99.00, list 124.99) that ended after the line was added."""
    variant = variant_with_stock("HP-1", price="124.99", on_hand=5)
    deal = make_deal(variant, price="99.00")
    token = _new_cart(api)
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "promotion": deal.pk})
    Promotion.objects.filter(pk=deal.pk).update(ends_at=timezone.now() - timedelta(seconds=1),
                                                starts_at=timezone.now() - timedelta(days=1))
    return token


def _pay(api, body: dict):
    return api.post(f"/orders/{body['order']['number']}/pay", **{"X-Order-Secret": body["order_secret"]})


def test_a_deal_line_is_charged_the_deal_price_from_cart_to_payment(api):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=5)
    deal = make_deal(variant, price="99.00")
    token = _new_cart(api)

    added = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2, "promotion": deal.pk})
    placed = _checkout(api, token)
    paid = _pay(api, placed.json())

    line = added.json()["lines"][0]
    assert added.status_code == 201
    assert (line["unit_price"], line["list_unit_price"], line["line_total"], added.json()["subtotal"]) == (
        "99.00", "124.99", "198.00", "198.00")
    assert (line["promotion"]["id"], line["promotion"]["applied"], line["promotion"]["refusal"]) == (
        deal.pk, True, None)
    assert placed.status_code == 201
    assert (placed.json()["order"]["subtotal"], placed.json()["order"]["total"]) == ("198.00", "203.00")
    assert paid.json()["status"] == "paid"
    paid_line = paid.json()["lines"][0]
    assert (paid_line["unit_price"], paid_line["list_unit_price"], paid_line["promotion_id"],
            paid_line["line_total"]) == ("99.00", "124.99", deal.pk, "198.00")
    order = Order.objects.get()
    order_line = order.lines.get()
    assert (order_line.unit_price, order_line.list_unit_price, order_line.line_total, order_line.promotion_id) == (
        Decimal("99.00"), Decimal("124.99"), Decimal("198.00"), deal.pk)
    assert Payment.objects.get(order=order).amount == Decimal("203.00")


def test_adding_an_ended_deal_answers_409_unless_the_client_accepts_the_list_price(api):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=5)
    now = timezone.now()
    deal = make_deal(variant, price="99.00", starts_at=now - timedelta(days=2), ends_at=now - timedelta(minutes=1))
    token = _new_cart(api)

    refused = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "promotion": deal.pk})
    unchanged = api.get(f"/carts/{token}").json()
    accepted = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "promotion": deal.pk, "accept_list_price": True})

    assert (refused.status_code, refused.json()) == (409, {
        "code": "promotion_ended", "message": "The deal on HP-1 has ended.", "field": "promotion"})
    assert unchanged["lines"] == []
    line = accepted.json()["lines"][0]
    assert (accepted.status_code, line["unit_price"], line["promotion"]) == (201, "124.99", None)


def test_unknown_and_foreign_promotions_are_400s(api):
    variant_with_stock("HP-1", price="124.99", on_hand=5)
    other = make_deal(variant_with_stock("EB-1", price="50.00", on_hand=5), price="40.00")
    token = _new_cart(api)

    unknown = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "promotion": 999999})
    foreign = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "promotion": other.pk})

    assert (unknown.status_code, unknown.json()["code"], unknown.json()["field"]) == (
        400, "unknown_promotion", "promotion")
    assert (foreign.status_code, foreign.json()["code"]) == (400, "promotion_mismatch")
    assert CartLine.objects.count() == 0


def test_a_deal_that_ends_after_the_line_was_added_is_a_409_price_changed_then_the_list_price(api):
    token = _cart_whose_deal_ended(api)

    shown = api.get(f"/carts/{token}").json()
    changed = _checkout(api, token)
    reread = api.get(f"/carts/{token}").json()
    placed = _checkout(api, token)

    assert (shown["lines"][0]["unit_price"], shown["lines"][0]["promotion"]["applied"],
            shown["lines"][0]["promotion"]["refusal"]) == ("124.99", False, "ended")
    assert (changed.status_code, changed.json()["code"], changed.json()["field"]) == (409, "price_changed", "sku")
    assert (reread["lines"][0]["unit_price"], reread["lines"][0]["promotion"]) == ("124.99", None)
    assert (placed.status_code, placed.json()["order"]["total"]) == (201, "129.99")
    assert Order.objects.get().lines.get().promotion_id is None  # the 409 placed no order


def test_a_cart_deleted_while_its_checkout_is_refused_still_gets_the_409_not_a_404(api, monkeypatch):
    from shop.services import checkout as checkout_service

    token = _cart_whose_deal_ended(api)
    place_order = checkout_service._place_order

    def place_then_lose_the_cart(*args, **kwargs):
        try:
            return place_order(*args, **kwargs)
        finally:
            Cart.objects.filter(token=token).delete()  # the buyer's other tab, or the cart sweep

    monkeypatch.setattr(checkout_service, "_place_order", place_then_lose_the_cart)
    refused = _checkout(api, token)

    assert (refused.status_code, refused.json()["code"]) == (409, "price_changed")
    assert (Cart.objects.count(), Order.objects.count()) == (0, 0)


def test_a_line_re_added_with_a_live_deal_between_the_refusal_and_its_mend_keeps_that_deal(api, monkeypatch):
    from shop.services import checkout_prices

    token = _cart_whose_deal_ended(api)
    live_deal = make_deal(Promotion.objects.get().variant, price="95.00", name="Weekend deal")
    lock_cart = checkout_prices.lock_cart

    def re_add_then_lock(cart):
        # The buyer's other tab, after the refused checkout rolled back and before the mend takes the cart's lock.
        re_added = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "promotion": live_deal.pk})
        assert re_added.json()["lines"][0]["unit_price"] == "95.00"
        return lock_cart(cart)

    monkeypatch.setattr(checkout_prices, "lock_cart", re_add_then_lock)
    refused = _checkout(api, token)
    monkeypatch.undo()
    reread = api.get(f"/carts/{token}").json()
    placed = _checkout(api, token)

    assert (refused.status_code, refused.json()["code"]) == (409, "price_changed")
    line = CartLine.objects.get(cart__token=token)
    assert (line.promotion_id, line.quantity) == (live_deal.pk, 2)
    assert (reread["lines"][0]["unit_price"], reread["lines"][0]["promotion"]["id"]) == ("95.00", live_deal.pk)
    assert (placed.status_code, placed.json()["order"]["total"]) == (201, "195.00")  # 2 × 95.00 + 5.00 shipping


def test_a_deal_deleted_while_its_cart_checks_out_is_refused_as_over_not_a_500(api, monkeypatch):
    from shop.services import checkout_prices

    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00")
    token = _new_cart(api)
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2, "promotion": deal.pk})
    lock_promotions = checkout_prices.lock_promotions

    def deleted_then_lock(ids):
        # A staff user deletes the deal after checkout read the cart and before it locks the deal's row.
        Promotion.objects.filter(pk=deal.pk).delete()
        return lock_promotions(ids)

    monkeypatch.setattr(checkout_prices, "lock_promotions", deleted_then_lock)
    refused = _checkout(api, token)
    monkeypatch.undo()
    placed = _checkout(api, token)

    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (409, "price_changed", "sku")
    assert not Order.objects.filter(total=Decimal("203.00")).exists()  # never 2 × 99.00 + shipping
    assert (placed.status_code, placed.json()["order"]["total"]) == (201, "254.98")  # 2 × 124.99 + 5.00 shipping


def test_a_used_up_cap_refuses_new_lines_and_a_cancelled_order_gives_its_units_back(api):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", unit_cap=2)
    first = _new_cart(api)
    api.post(f"/carts/{first}/lines", {"sku": "HP-1", "quantity": 2, "promotion": deal.pk})
    pending = _checkout(api, first, "first@example.com")
    second = _new_cart(api)

    sold_out = api.post(f"/carts/{second}/lines", {"sku": "HP-1", "promotion": deal.pk})
    Order.objects.filter(pk=Order.objects.get().pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    release_expired_reservations()
    freed = api.post(f"/carts/{second}/lines", {"sku": "HP-1", "promotion": deal.pk})

    assert pending.status_code == 201
    assert (sold_out.status_code, sold_out.json()["code"], sold_out.json()["message"]) == (
        409, "promotion_sold_out", "The deal on HP-1 is sold out.")
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert (freed.status_code, freed.json()["lines"][0]["unit_price"]) == (201, "99.00")


def test_a_restarted_checkout_does_not_count_the_buyers_own_pending_order_twice(api):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", unit_cap=1, per_buyer_limit=1)
    token = _new_cart(api)
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "promotion": deal.pk})
    _checkout(api, token)

    shown = api.get(f"/carts/{token}").json()
    again = _checkout(api, token)

    assert shown["lines"][0]["unit_price"] == "99.00"
    assert (again.status_code, again.json()["order"]["total"]) == (201, "104.00")
    assert list(Order.objects.order_by("pk").values_list("status", flat=True)) == [
        OrderStatus.CANCELLED, OrderStatus.PENDING]


def test_the_per_buyer_limit_counts_orders_by_email_in_any_case(api):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", per_buyer_limit=1)
    first = _new_cart(api)
    api.post(f"/carts/{first}/lines", {"sku": "HP-1", "promotion": deal.pk})
    _pay(api, _checkout(api, first, "ada@example.com").json())
    second = _new_cart(api)
    api.post(f"/carts/{second}/lines", {"sku": "HP-1", "promotion": deal.pk})

    limited = _checkout(api, second, "ADA@Example.com")
    other_buyer = _checkout(api, second, "bob@example.com")

    assert (limited.status_code, limited.json()) == (409, {
        "code": "promotion_limit", "message": "You can buy at most 1 of HP-1 at the deal price.",
        "field": "quantity"})
    assert (other_buyer.status_code, other_buyer.json()["order"]["total"]) == (201, "104.00")


def test_the_buy_link_explains_an_ended_deal_and_adds_the_list_price(client):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=5)
    now = timezone.now()
    deal = make_deal(variant, price="99.00", starts_at=now - timedelta(days=2), ends_at=now - timedelta(minutes=1))

    response = client.get(f"/buy/HP-1/?deal={deal.pk}", follow=True)

    content = response.content.decode()
    assert "The deal on HP-1 has ended. It is in your cart at the regular price." in content
    line = Cart.objects.get().lines.get()
    assert (line.quantity, line.promotion_id) == (1, None)
    assert "<td>124.99 USD" in content


def test_the_buy_link_with_a_running_deal_shows_the_deal_price_in_the_cart(client):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=5)
    deal = make_deal(variant, price="99.00")

    response = client.get(f"/buy/HP-1/?deal={deal.pk}", follow=True)

    assert "<td>99.00 USD" in response.content.decode()
    assert Cart.objects.get().lines.get().promotion_id == deal.pk


def test_price_line_refuses_outside_the_window_past_the_cap_and_past_the_buyer_limit():
    variant = variant_with_stock("HP-1", price="124.99", on_hand=5)
    now = timezone.now()
    deal = make_deal(variant, price="99.00", starts_at=now, ends_at=now + timedelta(hours=1), unit_cap=3,
                     per_buyer_limit=2)
    usage = promotion_usage([deal.pk], now=now, buyer="ada@example.com")

    def refusal(quantity, at, **options):
        return price_line(variant, quantity=quantity, now=at, promotion=deal, usage=usage, **options).refusal

    assert refusal(1, now - timedelta(seconds=1)) == PromotionRefusal.NOT_STARTED
    assert refusal(1, now + timedelta(hours=1)) == PromotionRefusal.ENDED
    assert refusal(4, now) == PromotionRefusal.SOLD_OUT
    assert refusal(3, now) is None
    assert refusal(3, now, buyer_known=True) == PromotionRefusal.BUYER_LIMIT
    price = price_line(variant, quantity=3, now=now, promotion=deal, usage=usage)
    assert (price.unit_price, price.list_unit_price, price.line_total, price.promotion) == (
        Decimal("99.00"), Decimal("124.99"), Decimal("297.00"), deal)


def test_the_database_refuses_a_free_deal_a_backwards_window_and_a_zero_cap():
    variant = variant_with_stock("HP-1", price="124.99", on_hand=5)
    now = timezone.now()
    valid = {"name": "d", "variant": variant, "price": Decimal("99.00"), "currency": "USD", "starts_at": now,
             "ends_at": now + timedelta(hours=1)}
    for override in ({"price": Decimal("0.00")}, {"ends_at": now}, {"unit_cap": 0}, {"per_buyer_limit": 0},
                     {"currency": "usd"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Promotion.objects.create(**{**valid, **override})


@pytest.mark.parametrize("size", [1, 6])
def test_reading_a_cart_with_deal_lines_costs_the_same_queries_at_any_size(api, django_assert_num_queries, size):
    token = _new_cart(api)
    cart = Cart.objects.get(token=token)
    for number in range(size):
        variant = variant_with_stock(f"Q-{number}", price="20.00", on_hand=3)
        CartLine.objects.create(cart=cart, variant=variant, quantity=1, promotion=make_deal(variant, price="15.00"))
    api.get(f"/carts/{token}")  # warm-up

    # cart, lines with variants, products and promotions, availability, units used by the promotions
    with django_assert_num_queries(4):
        response = api.get(f"/carts/{token}")

    assert [line["unit_price"] for line in response.json()["lines"]] == ["15.00"] * size


def test_raising_a_deal_lines_quantity_past_the_units_left_is_a_409_and_keeps_the_line(api):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", unit_cap=2)
    token = _new_cart(api)
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2, "promotion": deal.pk})

    refused = api.patch(f"/carts/{token}/lines/HP-1", {"quantity": 3})

    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        409, "promotion_sold_out", "promotion")
    line = api.get(f"/carts/{token}").json()["lines"][0]
    assert (line["quantity"], line["unit_price"], line["line_total"]) == (2, "99.00", "198.00")


@pytest.mark.parametrize("size", [1, 5])
def test_adding_a_deal_line_costs_the_same_queries_at_any_cart_size(api, django_assert_num_queries, size):
    token = _new_cart(api)
    cart = Cart.objects.get(token=token)
    for number in range(size):
        variant = variant_with_stock(f"Q-{number}", price="20.00", on_hand=3)
        CartLine.objects.create(cart=cart, variant=variant, quantity=1, promotion=make_deal(variant, price="15.00"))
    deal = make_deal(variant_with_stock("HP-1", price="124.99", on_hand=5), price="99.00")
    api.post(f"/carts/{token}/lines", {"sku": "Q-0", "quantity": 1})  # warm-up

    with django_assert_num_queries(ADD_LINE_QUERIES):
        response = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "promotion": deal.pk})

    assert response.json()["lines"][-1]["unit_price"] == "99.00"


@pytest.mark.parametrize("size", [1, 4])
def test_checking_out_deal_lines_costs_the_same_queries_at_any_size(api, django_assert_num_queries, size):
    warm_up = _new_cart(api)
    api.post(f"/carts/{warm_up}/lines", {"sku": variant_with_stock("W-1", price="5.00").sku})
    _checkout(api, warm_up)
    token = _new_cart(api)
    cart = Cart.objects.get(token=token)
    for number in range(size):
        variant = variant_with_stock(f"Q-{number}", price="20.00", on_hand=3)
        CartLine.objects.create(cart=cart, variant=variant, quantity=1,
                                promotion=make_deal(variant, price="15.00", unit_cap=3, per_buyer_limit=1))

    # PostgreSQL adds the buyer's and the client's advisory locks (one statement; SQLite serialises writers without them).
    with django_assert_num_queries(CHECKOUT_QUERIES):
        response = _checkout(api, token)

    assert response.json()["order"]["subtotal"] == f"{15 * size}.00"
