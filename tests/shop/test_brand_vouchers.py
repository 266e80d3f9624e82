"""Brand-funded vouchers: a brand's voucher applies to that brand's lines only, and the brand bears the discount,
out of its wholesale on a reseller line and out of its revenue on an agency line; the creator's margin and the
platform's fee stay as they were, and ``wholesale + margin + fee`` is still what the buyer paid."""

from decimal import Decimal

import pytest

from shop.errors import Conflict
from shop.models import Cart, SupplyMode, SupplyTransfer, Variant, Voucher
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from shop.services.vouchers import voucher_funder
from tests.factories import make_brand, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import live_listing, offer_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_brand_cart(shop_settings):
    """Brand A: 2 × A-1 at 24.00 from a creator's storefront (wholesale 10.00 each) and 1 × A-2 at 30.00 from an
    agency listing (the brand's revenue: 30.00 less the fee). Brand B: 1 × B-1 at 39.99 (wholesale 18.00) and
    1 × B-2 at 9.00 off the catalog. At a 5 % fee: 2.40, 1.50 and 2.00."""
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand_a, brand_b = make_brand(), make_brand()
    make_product(brand=brand_a, variants=[("A-1", "25.00", 10)])
    make_product(brand=brand_a, variants=[("A-2", "30.00", 10)])
    make_product(brand=brand_b, variants=[("B-1", "40.00", 10)])
    make_product(brand=brand_b, variants=[("B-2", "9.00", 10)])
    creator = make_creator()
    reseller_a = live_listing(offer_for(Variant.objects.get(sku="A-1")), creator_id=creator.pk, price="24.00")
    agency_a = live_listing(offer_for(Variant.objects.get(sku="A-2"), mode=SupplyMode.AGENCY, wholesale_price="15.00",
                                      recommended_price="30.00", max_price=None), creator_id=creator.pk, price=None)
    reseller_b = live_listing(offer_for(Variant.objects.get(sku="B-1"), wholesale_price="18.00",
                                        recommended_price="35.00", max_price="45.00"), creator_id=creator.pk,
                              price="39.99")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=2, listing_id=reseller_a.pk)
    add_line_to_cart(cart, sku="A-2", quantity=1, listing_id=agency_a.pk)
    add_line_to_cart(cart, sku="B-1", quantity=1, listing_id=reseller_b.pk)
    add_line_to_cart(cart, sku="B-2", quantity=1)
    return cart, brand_a, brand_b


def placed(order) -> list[tuple]:
    return [(line.sku, line.discount_amount, line.line_total, line.wholesale_amount, line.creator_margin,
             line.platform_fee) for line in order.lines.order_by("pk")]


def test_a_brands_voucher_comes_off_its_own_lines_wholesale_and_revenue_only(two_brand_cart, dummy_gateway):
    cart, brand_a, _brand_b = two_brand_cart
    voucher = Voucher.objects.create(code="BRANDA", kind="percentage", value=Decimal("10"), brand=brand_a)
    assert voucher_funder(voucher) == "brand"

    order = confirm_payment(checkout(cart, voucher_code="BRANDA").order)

    # 10 % of the subtotal 126.99 is 12.70, spread over brand A's lines only (48.00 : 30.00 → 7.82 : 4.88);
    # brand B's lines give nothing. Margin and fee as without the voucher.
    assert placed(order) == [
        ("A-1", Decimal("7.82"), Decimal("40.18"), Decimal("12.18"), Decimal("25.60"), Decimal("2.40")),
        ("A-2", Decimal("4.88"), Decimal("25.12"), Decimal("23.62"), Decimal("0.00"), Decimal("1.50")),
        ("B-1", Decimal("0.00"), Decimal("39.99"), Decimal("18.00"), Decimal("19.99"), Decimal("2.00")),
        ("B-2", Decimal("0.00"), Decimal("9.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    for _sku, _discount, total, wholesale, margin, fee in placed(order)[:3]:
        assert wholesale + margin + fee == total
    assert (order.discount_total, order.total) == (Decimal("12.70"), Decimal("119.29"))
    # the brand's payable is its wholesale less what its voucher gave: 12.18 + 23.62; brand B's untouched
    payables = dict(SupplyTransfer.objects.filter(order=order).values_list("payee_id", "amount"))
    assert payables == {brand_a.pk: Decimal("35.80"), _brand_b.pk: Decimal("18.00")}


def test_a_fixed_brand_voucher_is_capped_by_the_brands_part_and_never_touches_another_brand(
        two_brand_cart, dummy_gateway):
    cart, _brand_a, brand_b = two_brand_cart
    cart.lines.filter(variant__sku="B-2").delete()  # brand B's catalog line gone: only its storefront line left
    Voucher.objects.create(code="BIG-B", kind="fixed", value=Decimal("30.00"), currency="USD", brand=brand_b)

    order = confirm_payment(checkout(cart, voucher_code="BIG-B").order)

    # brand B's part of B-1 is its wholesale 18.00: no more comes off, and no other brand pays for the rest
    assert [(line[0], line[1], line[3]) for line in placed(order)] == [
        ("A-1", Decimal("0.00"), Decimal("20.00")), ("A-2", Decimal("0.00"), Decimal("28.50")),
        ("B-1", Decimal("18.00"), Decimal("0.00"))]
    assert order.discount_total == Decimal("18.00")


def test_a_brands_voucher_on_a_cart_without_its_lines_answers_409(two_brand_cart):
    cart, _brand_a, _brand_b = two_brand_cart
    Voucher.objects.create(code="OTHER", kind="percentage", value=Decimal("10"), brand=make_brand())
    with pytest.raises(Conflict) as error:
        checkout(cart, voucher_code="OTHER")
    assert error.value.code == "voucher_not_applicable"


def test_a_voucher_has_one_funder_in_the_database(two_brand_cart):
    from django.db import IntegrityError

    _cart, brand_a, _brand_b = two_brand_cart
    with pytest.raises(IntegrityError):
        Voucher.objects.create(code="BOTH", kind="percentage", value=Decimal("10"), brand=brand_a,
                               creator_id=make_creator().pk)


def test_the_brands_report_shows_its_vouchers_discount_on_its_own_side(two_brand_cart, dummy_gateway):
    from creators.reports.supply_figures import brand_storefront_sales

    cart, brand_a, brand_b = two_brand_cart
    Voucher.objects.create(code="BRANDA", kind="percentage", value=Decimal("10"), brand=brand_a)
    confirm_payment(checkout(cart, voucher_code="BRANDA").order)

    [row_a] = brand_storefront_sales({brand_a.pk})
    [row_b] = brand_storefront_sales({brand_b.pk})
    # brand A: sales 40.18 + 25.12, wholesale 12.18 + 23.62 (net of its voucher's 12.70, shown beside it)
    assert (row_a.units, row_a.sales, row_a.wholesale, row_a.brand_discount) == (
        3, Decimal("65.30"), Decimal("35.80"), Decimal("12.70"))
    assert (row_b.units, row_b.sales, row_b.wholesale, row_b.brand_discount) == (
        1, Decimal("39.99"), Decimal("18.00"), Decimal("0.00"))


def test_a_brands_voucher_gives_nothing_off_its_own_catalog_lines(two_brand_cart, dummy_gateway):
    """The brand is paid only for storefront lines, so a catalog line's discount would be the platform's money."""
    cart, _brand_a, brand_b = two_brand_cart
    cart.lines.exclude(variant__sku="B-2").delete()  # only brand B's catalog line left
    Voucher.objects.create(code="ALL-B", kind="percentage", value=Decimal("100"), brand=brand_b)

    with pytest.raises(Conflict) as refused:
        checkout(cart, voucher_code="ALL-B")

    assert refused.value.code == "voucher_not_applicable"


def test_a_brand_funded_reward_vouchers_rest_is_still_the_brands(two_brand_cart, dummy_gateway):
    cart, brand_a, _brand_b = two_brand_cart
    Voucher.objects.create(code="OWED-A", kind="fixed", value=Decimal("50.00"), currency="USD", brand=brand_a,
                           usage_limit=1, reissue_unused=True)

    order = confirm_payment(checkout(cart, voucher_code="OWED-A").order)

    rest = Voucher.objects.get(remainder_order=order)
    assert (rest.value, rest.brand_id, rest.creator_id) == (Decimal("50.00") - order.discount_total, brand_a.pk, None)
    assert order.discount_total > Decimal("0.00")
