"""Storefront listings at checkout: priced by price_line, split snapshots, 409 price_changed, brand groups."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from shop.errors import Conflict
from shop.models import Cart, CartLine, FulfilmentGroup, Order, OrderLine, Variant
from shop.services.cart import add_line_to_cart, fetch_cart
from shop.services.supply import update_offer
from tests.factories import make_brand, make_brand_user, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import live_listing, offer_for, terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_brands(shop_settings):
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand_a, brand_b = make_brand(), make_brand()
    make_product(brand=brand_a, variants=[("A-1", "25.00", 10)])
    make_product(brand=brand_b, variants=[("B-1", "40.00", 10)])
    make_product(brand=brand_b, variants=[("B-2", "9.00", 10)])
    user_a = make_brand_user(brand=brand_a)
    offer_a = offer_for(Variant.objects.get(sku="A-1"), user=user_a)
    offer_b = offer_for(Variant.objects.get(sku="B-1"), wholesale_price="18.00",
                        recommended_price="35.00", max_price="45.00")
    creator_id = make_creator().pk
    return {"brands": (brand_a, brand_b), "user_a": user_a, "offer_a": offer_a,
            "listing_a": live_listing(offer_a, creator_id=creator_id, price="24.00"),
            "listing_b": live_listing(offer_b, creator_id=creator_id, price="39.99")}


def test_a_listing_prices_the_cart_line_through_price_line(two_brands):
    cart = Cart.objects.create()
    info = add_line_to_cart(cart, sku="A-1", quantity=2, listing_id=two_brands["listing_a"].pk)
    line = info.lines[0]
    assert (line.unit_price, line.line_total, line.price.list_unit_price) == (
        Decimal("24.00"), Decimal("48.00"), Decimal("25.00"))
    assert line.price.listing == two_brands["listing_a"]


def test_a_multi_brand_order_snapshots_the_split_and_is_grouped_per_brand(two_brands):
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=2, listing_id=two_brands["listing_a"].pk)
    add_line_to_cart(cart, sku="B-1", quantity=3, listing_id=two_brands["listing_b"].pk)
    add_line_to_cart(cart, sku="B-2", quantity=1)
    order = checkout(cart).order
    lines = {line.sku: line for line in order.lines.all()}
    a, b, plain = lines["A-1"], lines["B-1"], lines["B-2"]
    assert (a.line_total, a.wholesale_amount, a.creator_margin, a.platform_fee) == (
        Decimal("48.00"), Decimal("20.00"), Decimal("25.60"), Decimal("2.40"))
    assert (b.line_total, b.wholesale_amount, b.creator_margin, b.platform_fee) == (
        Decimal("119.97"), Decimal("54.00"), Decimal("59.97"), Decimal("6.00"))
    assert (a.price_floor, a.price_ceiling) == (Decimal("10.53"), Decimal("30.00"))
    assert (plain.listing_id, plain.creator_margin) == (None, Decimal("0"))
    groups = {group.brand_id: group for group in FulfilmentGroup.objects.filter(order=order)}
    brand_a, brand_b = two_brands["brands"]
    assert sorted(groups) == sorted([brand_a.pk, brand_b.pk])
    assert a.fulfilment_group_id == groups[brand_a.pk].pk
    assert {b.fulfilment_group_id, plain.fulfilment_group_id} == {groups[brand_b.pk].pk}
    assert order.total == Decimal("48.00") + Decimal("119.97") + Decimal("9.00") + Decimal("5.00")


def test_bounds_changed_while_the_cart_is_open_answer_409_price_changed(two_brands):
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=1, listing_id=two_brands["listing_a"].pk)
    update_offer(two_brands["offer_a"], user=two_brands["user_a"], terms=terms(max_price="23.00", recommended_price="22.00"))
    with pytest.raises(Conflict) as error:
        checkout(cart)
    assert (error.value.code, error.value.field) == ("price_changed", "sku")
    assert Order.objects.count() == 0
    assert CartLine.objects.get(cart=cart).listing_id is None
    assert fetch_cart(cart).lines[0].unit_price == Decimal("25.00")


def test_a_line_re_added_with_another_live_listing_between_the_refusal_and_its_mend_keeps_that_listing(
        two_brands, monkeypatch):
    from shop.services import checkout_prices

    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=1, listing_id=two_brands["listing_a"].pk)
    update_offer(two_brands["offer_a"], user=two_brands["user_a"], terms=terms(max_price="23.00", recommended_price="22.00"))
    second_storefront = live_listing(two_brands["offer_a"], creator_id=make_creator().pk, price="22.50")
    lock_cart = checkout_prices.lock_cart

    def re_add_then_lock(locked_cart):
        # The buyer follows another creator's link after the refused checkout rolled back, before the mend.
        add_line_to_cart(cart, sku="A-1", quantity=1, listing_id=second_storefront.pk)
        return lock_cart(locked_cart)

    monkeypatch.setattr(checkout_prices, "lock_cart", re_add_then_lock)
    with pytest.raises(Conflict) as error:
        checkout(cart)
    monkeypatch.undo()

    assert error.value.code == "price_changed"
    line = CartLine.objects.get(cart=cart)
    assert (line.listing_id, line.quoted_unit_price, line.quantity) == (second_storefront.pk, Decimal("22.50"), 2)
    placed = checkout(cart).order
    assert (placed.lines.get().listing_id, placed.total) == (second_storefront.pk, Decimal("50.00"))


def test_bounds_changed_while_the_cart_is_open_answer_409_through_the_api(two_brands, api):
    token = api.post("/carts").json()["token"]
    added = api.post(f"/carts/{token}/lines", {"sku": "A-1", "quantity": 1, "listing": two_brands["listing_a"].pk})
    assert added.status_code == 201
    assert added.json()["lines"][0]["unit_price"] == "24.00"
    update_offer(two_brands["offer_a"], user=two_brands["user_a"], terms=terms(max_price="23.00", recommended_price="22.00"))
    response = api.post(f"/carts/{token}/checkout", {
        "email": "ada@example.com", "fulfilment": "shipping",
        "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
                    "country": "US"}})
    assert response.status_code == 409
    assert response.json() == {"code": "price_changed", "field": "sku",
                               "message": "The price of A-1 has changed in this storefront. Check your cart and order again."}


def test_a_paused_listing_cannot_be_added(two_brands, api):
    update_offer(two_brands["offer_a"], user=two_brands["user_a"], terms=terms(max_price="23.00", recommended_price="22.00"))
    token = api.post("/carts").json()["token"]
    response = api.post(f"/carts/{token}/lines", {"sku": "A-1", "quantity": 1, "listing": two_brands["listing_a"].pk})
    assert response.status_code == 409
    assert response.json()["code"] == "listing_unavailable"
    mismatch = api.post(f"/carts/{token}/lines", {"sku": "B-2", "quantity": 1, "listing": two_brands["listing_b"].pk})
    assert (mismatch.status_code, mismatch.json()["code"]) == (400, "listing_mismatch")


def test_the_database_refuses_an_order_line_outside_the_bounds_or_off_the_equation(two_brands):
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=2, listing_id=two_brands["listing_a"].pk)
    line = checkout(cart).order.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).update(unit_price=Decimal("30.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).update(unit_price=Decimal("10.52"))
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).update(platform_fee=Decimal("2.41"))
