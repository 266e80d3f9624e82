"""A storefront line is charged the price the cart quoted: an agency price change answers 409
``price_changed`` like new reseller bounds do; a checkout with listing lines costs constant statements."""

from decimal import Decimal

import pytest

from shop.errors import Conflict
from shop.models import Cart, CartLine, Order, SupplyMode, Variant
from shop.services.cart import add_line_to_cart, fetch_cart
from shop.services.supply import update_offer
from tests.factories import make_brand, make_brand_user, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import live_listing, offer_for, terms
from tests.shop.test_buy_flow_queries import CHECKOUT, _warm_up

pytestmark = pytest.mark.django_db

AGENCY = dict(mode=SupplyMode.AGENCY, wholesale_price="15.00", recommended_price="30.00", max_price=None)


@pytest.fixture
def agency(shop_settings):
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand = make_brand()
    make_product(brand=brand, variants=[("AG-1", "32.00", 10)])
    manager = make_brand_user(brand=brand)
    offer = offer_for(Variant.objects.get(sku="AG-1"), user=manager, **AGENCY)
    listing = live_listing(offer, creator_id=make_creator().pk, price=None)
    return {"manager": manager, "offer": offer, "listing": listing}


def test_the_cart_line_keeps_the_price_it_was_quoted(agency):
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="AG-1", quantity=2, listing_id=agency["listing"].pk)
    assert CartLine.objects.get(cart=cart).quoted_unit_price == Decimal("30.00")


def test_an_agency_price_change_while_the_cart_is_open_answers_409_then_charges_the_new_price(agency):
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="AG-1", quantity=2, listing_id=agency["listing"].pk)
    update_offer(agency["offer"], user=agency["manager"], terms=terms(**{**AGENCY, "recommended_price": "31.00"}))

    with pytest.raises(Conflict) as error:
        checkout(cart)

    assert (error.value.code, error.value.field) == ("price_changed", "sku")
    assert Order.objects.count() == 0
    line = CartLine.objects.get(cart=cart)
    assert (line.listing_id, line.quoted_unit_price) == (agency["listing"].pk, Decimal("31.00"))
    assert fetch_cart(cart).lines[0].unit_price == Decimal("31.00")
    # the reader saw the new price: the next checkout charges it, split at the new price
    order = checkout(cart).order
    placed = order.lines.get()
    assert (placed.unit_price, placed.line_total, placed.wholesale_amount, placed.platform_fee, placed.creator_margin) == (
        Decimal("31.00"), Decimal("62.00"), Decimal("58.90"), Decimal("3.10"), Decimal("0.00"))


def test_an_agency_price_change_answers_409_through_the_api(agency, api):
    token = api.post("/carts").json()["token"]
    added = api.post(f"/carts/{token}/lines", {"sku": "AG-1", "quantity": 1, "listing": agency["listing"].pk})
    assert added.json()["lines"][0]["unit_price"] == "30.00"
    update_offer(agency["offer"], user=agency["manager"], terms=terms(**{**AGENCY, "recommended_price": "29.00"}))

    response = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "fulfilment": "pickup"})

    assert response.status_code == 409
    assert response.json() == {"code": "price_changed", "field": "sku",
                               "message": "The price of AG-1 has changed in this storefront. Check your cart and order again."}
    assert api.get(f"/carts/{token}").json()["lines"][0]["unit_price"] == "29.00"


def _listing_cart(size: int) -> str:
    """A cart of ``size`` storefront lines, two brands' listings among them (one fulfilment group each)."""
    creator_id = make_creator().pk
    cart = Cart.objects.create()
    brands = [make_brand(), make_brand()]
    for number in range(size):
        variant = make_product(brand=brands[number % 2], variants=[(f"L-{number}", "25.00", 5)]).variants.get()
        listing = live_listing(offer_for(variant), creator_id=creator_id, price="24.00")
        add_line_to_cart(cart, sku=variant.sku, quantity=1, listing_id=listing.pk)
    return cart.token


# the plain checkout's statements (fulfilment groups included, every order has them), and the listings locked
LISTING_CHECKOUT = CHECKOUT + 1


@pytest.mark.parametrize("size", [2, 5])
def test_checking_out_storefront_lines_costs_the_same_statements_at_any_cart_size(
        shop_settings, api, django_assert_num_queries, size):
    _warm_up(api)
    token = _listing_cart(size)

    with django_assert_num_queries(LISTING_CHECKOUT):
        response = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "fulfilment": "pickup"})

    body = response.json()
    assert (response.status_code, body["order"]["total"]) == (201, f"{24 * size}.00")
    order = Order.objects.get(number=body["order"]["number"])
    assert order.fulfilment_groups.count() == 2
    assert sorted(order.lines.values_list("creator_margin", flat=True)) == [Decimal("12.80")] * size
