"""Vouchers on storefront carts: the discount spread by largest remainder, each listing line's part taken off
the voucher's funder only (platform: the fee; a creator: their own margin), the brand's wholesale never cut."""

from decimal import Decimal

import pytest

from creators.models import EntryKind, LedgerEntry
from shop.attribution import Attribution
from shop.errors import Conflict
from shop.models import Cart, SupplyMode, Variant, Voucher
from shop.money import allocate_capped, to_minor_units
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from tests.factories import make_brand, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import live_listing, offer_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def storefront_cart(shop_settings):
    """2 × A-1 at 24.00 (wholesale 10.00) and 1 × B-1 at 39.99 (wholesale 18.00) from one creator's storefront,
    and 1 × B-2 at 9.00 off the catalog: subtotal 96.99; at a 5 % fee the fees are 2.40 and 2.00."""
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand_a, brand_b = make_brand(), make_brand()
    make_product(brand=brand_a, variants=[("A-1", "25.00", 10)])
    make_product(brand=brand_b, variants=[("B-1", "40.00", 10)])
    make_product(brand=brand_b, variants=[("B-2", "9.00", 10)])
    creator = make_creator()
    listing_a = live_listing(offer_for(Variant.objects.get(sku="A-1")), creator_id=creator.pk, price="24.00")
    listing_b = live_listing(offer_for(Variant.objects.get(sku="B-1"), wholesale_price="18.00",
                                       recommended_price="35.00", max_price="45.00"),
                             creator_id=creator.pk, price="39.99")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=2, listing_id=listing_a.pk)
    add_line_to_cart(cart, sku="B-1", quantity=1, listing_id=listing_b.pk)
    add_line_to_cart(cart, sku="B-2", quantity=1)
    return cart, creator


def placed(result) -> list[tuple]:
    return [(line.sku, line.discount_amount, line.line_total, line.wholesale_amount, line.creator_margin,
             line.platform_fee) for line in result.order.lines.order_by("pk")]


def test_a_platform_voucher_comes_out_of_the_fee_and_the_rest_off_the_catalog_line(storefront_cart):
    cart, _creator = storefront_cart
    Voucher.objects.create(code="TEN", kind="percentage", value=Decimal("10"))
    result = checkout(cart, voucher_code="ten")
    # 9.70 off: the listing lines carry only their fees (2.40, 2.00); the catalog line takes the other 5.30.
    assert placed(result) == [
        ("A-1", Decimal("2.40"), Decimal("45.60"), Decimal("20.00"), Decimal("25.60"), Decimal("0.00")),
        ("B-1", Decimal("2.00"), Decimal("37.99"), Decimal("18.00"), Decimal("19.99"), Decimal("0.00")),
        ("B-2", Decimal("5.30"), Decimal("3.70"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    order = result.order
    assert (order.subtotal, order.discount_total, order.shipping_total, order.total) == (
        Decimal("96.99"), Decimal("9.70"), Decimal("5.00"), Decimal("92.29"))
    # The price shown is the price charged: the order's total is the payment's amount, to the cent.
    assert (result.payment.amount, to_minor_units(result.payment.amount, "USD")) == (Decimal("92.29"), 9229)


def test_a_creators_voucher_comes_out_of_their_own_margin_by_largest_remainder(storefront_cart):
    cart, creator = storefront_cart
    Voucher.objects.create(code="MINE", kind="percentage", value=Decimal("10"), creator_id=creator.pk)
    result = checkout(cart, voucher_code="MINE")
    # 970 cents in proportion 48.00 : 39.99 : 9.00 = 480.05 : 399.94 : 90.01; the one cent left goes to B-1.
    assert placed(result) == [
        ("A-1", Decimal("4.80"), Decimal("43.20"), Decimal("20.00"), Decimal("20.80"), Decimal("2.40")),
        ("B-1", Decimal("4.00"), Decimal("35.99"), Decimal("18.00"), Decimal("15.99"), Decimal("2.00")),
        ("B-2", Decimal("0.90"), Decimal("8.10"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    assert (result.order.discount_total, result.order.total, result.payment.amount) == (
        Decimal("9.70"), Decimal("92.29"), Decimal("92.29"))


def test_another_creators_voucher_gives_nothing_on_listing_lines(storefront_cart):
    cart, _creator = storefront_cart
    other = make_creator()
    Voucher.objects.create(code="OTHER", kind="fixed", value=Decimal("20.00"), currency="USD", creator_id=other.pk)
    result = checkout(cart, voucher_code="OTHER")
    assert [line[1] for line in placed(result)] == [Decimal("0.00"), Decimal("0.00"), Decimal("9.00")]
    assert (result.order.discount_total, result.order.total) == (Decimal("9.00"), Decimal("92.99"))


def test_a_voucher_no_line_can_carry_answers_409_and_places_nothing(storefront_cart):
    cart, _creator = storefront_cart
    cart.lines.filter(variant__sku="B-2").delete()
    Voucher.objects.create(code="OTHER", kind="percentage", value=Decimal("10"), creator_id=make_creator().pk)
    with pytest.raises(Conflict) as error:
        checkout(cart, voucher_code="OTHER")
    assert (error.value.code, error.value.field) == ("voucher_not_applicable", "voucher_code")
    assert not cart.orders.exists()


def test_a_platform_voucher_larger_than_the_fees_gives_the_fees_only_on_a_storefront_only_cart(storefront_cart):
    cart, _creator = storefront_cart
    cart.lines.filter(variant__sku="B-2").delete()
    Voucher.objects.create(code="FIVE", kind="fixed", value=Decimal("5.00"), currency="USD")
    result = checkout(cart, voucher_code="FIVE")
    assert [line[1:] for line in placed(result)] == [
        (Decimal("2.40"), Decimal("45.60"), Decimal("20.00"), Decimal("25.60"), Decimal("0.00")),
        (Decimal("2.00"), Decimal("37.99"), Decimal("18.00"), Decimal("19.99"), Decimal("0.00")),
    ]
    assert (result.order.discount_total, result.order.total, result.payment.amount) == (
        Decimal("4.40"), Decimal("88.59"), Decimal("88.59"))


def test_allocation_is_by_largest_remainder_to_the_minor_unit():
    # Three equal lines share one cent more than divides evenly: the earliest takes it.
    assert allocate_capped(Decimal("1.00"), [Decimal("1")] * 3, caps=[None] * 3, currency="USD") == [
        Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    # 0.05 over 1.01 : 2.00 : 2.99 = 0.0084 : 0.0167 : 0.0249 → floors 0, 1, 2 and the cent left to the first.
    assert allocate_capped(Decimal("0.05"), [Decimal("1.01"), Decimal("2.00"), Decimal("2.99")], caps=[None] * 3,
                           currency="USD") == [Decimal("0.01"), Decimal("0.02"), Decimal("0.02")]
    # Yen have no minor unit: whole yen only.
    assert allocate_capped(Decimal("100"), [Decimal("1")] * 3, caps=[None] * 3, currency="JPY") == [
        Decimal("34.00"), Decimal("33.00"), Decimal("33.00")]


def test_a_capped_share_passes_its_rest_on_and_what_nobody_can_carry_is_left_out():
    assert allocate_capped(Decimal("10.00"), [Decimal("50"), Decimal("50")], caps=[Decimal("1.00"), None],
                           currency="USD") == [Decimal("1.00"), Decimal("9.00")]
    assert allocate_capped(Decimal("10.00"), [Decimal("50"), Decimal("50")], caps=[Decimal("1.00"), Decimal("2.00")],
                           currency="USD") == [Decimal("1.00"), Decimal("2.00")]
    assert allocate_capped(Decimal("3.00"), [Decimal("0"), Decimal("5")], caps=[None, None], currency="USD") == [
        Decimal("0.00"), Decimal("3.00")]


def test_a_cap_in_yen_is_rounded_down_so_no_share_exceeds_the_part_it_comes_off():
    """A fee of 50.50 yen (a line split before fees were whole yen) carries 50 yen of a voucher, never 51."""
    assert allocate_capped(Decimal("200.00"), [Decimal("1010.00")], caps=[Decimal("50.50")], currency="JPY") == [
        Decimal("50.00")]


@pytest.mark.parametrize("voucher_creator", ["listing's", "another", None])
def test_an_agency_listing_line_earns_its_listing_creator_whatever_creators_voucher_is_used(
        shop_settings, dummy_gateway, voucher_creator):
    """X's agency listing, bought through X's buy link, plus a catalog line: a voucher of creator Y wins the catalog
    line (Y's code sold it) but not X's storefront line, which it gave nothing off; X's own voucher takes both."""
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    make_product(brand=make_brand(), variants=[("A-1", "30.00", 10)])
    make_product(brand=make_brand(), variants=[("B-2", "9.00", 10)])
    x, y = make_creator(), make_creator()
    offer = offer_for(Variant.objects.get(sku="A-1"), mode=SupplyMode.AGENCY, wholesale_price="15.00",
                      recommended_price="30.00", max_price=None)
    listing = live_listing(offer, creator_id=x.pk, price=None)
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=1, listing_id=listing.pk, attribution=Attribution(creator_id=x.pk))
    add_line_to_cart(cart, sku="B-2", quantity=1)
    code = ""
    if voucher_creator is not None:
        owner = x if voucher_creator == "listing's" else y
        Voucher.objects.create(code="CODE10", kind="percentage", value=Decimal("10"), creator_id=owner.pk)
        code = "CODE10"

    order = confirm_payment(checkout(cart, voucher_code=code).order)

    skus = dict(order.lines.values_list("pk", "sku"))
    accruals = {skus[line_id]: creator_id for line_id, creator_id in LedgerEntry.objects.filter(
        order_id=order.pk, kind=EntryKind.ACCRUAL).values_list("order_line_id", "creator_id")}
    expected_catalog = {"listing's": x.pk, "another": y.pk, None: None}[voucher_creator]
    assert accruals.get("A-1") == x.pk
    assert accruals.get("B-2") == expected_catalog
