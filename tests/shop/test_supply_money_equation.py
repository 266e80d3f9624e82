"""The money equation of a storefront sale: buyer paid = wholesale + creator margin + platform fee, to the cent."""

from datetime import timedelta
from decimal import Decimal

import itertools
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from shop.errors import Conflict
from shop.models import ListingStatus, StorefrontListing, SupplyMode, SupplyOffer, Variant, Voucher, VoucherKind
from shop.services.listing_prices import bounds_in_force, cost_floor, split_discounted
from shop.services.pricing import price_line
from shop.services.vouchers import allocate_voucher_discount, line_discount_room, voucher_discount, voucher_funder

NOW = timezone.now()
cents = st.integers(min_value=0, max_value=500_000).map(lambda value: Decimal(value) / 100)
rates = st.integers(min_value=0, max_value=3000).map(lambda value: Decimal(value) / 10_000)


@st.composite
def storefront_lines(draw, rate: Decimal | None = None):
    """An in-memory variant, offer and live listing priced somewhere within its bounds, and a quantity."""
    wholesale = draw(cents)
    rate = draw(rates) if rate is None else rate
    floor = cost_floor(wholesale, rate=rate)
    price = floor + draw(st.integers(min_value=0, max_value=200_000)) / Decimal(100)
    mode = draw(st.sampled_from(SupplyMode.values))
    variant = Variant(pk=1, sku="GEN-1", price=Decimal("99.00"), currency="USD")
    offer = SupplyOffer(pk=1, variant_id=1, market="US", currency="USD", wholesale_price=wholesale,
                        recommended_price=price, max_price=None, min_price=None, mode=mode,
                        starts_at=NOW - timedelta(days=1))
    listing = StorefrontListing(pk=1, offer=offer, creator_id=draw(st.sampled_from([1, 2])), status=ListingStatus.LIVE,
                                price=price if mode == SupplyMode.RESELLER else None)
    return variant, listing, draw(st.integers(min_value=1, max_value=10)), rate


@hypothesis_settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=st.lists(storefront_lines(), min_size=1, max_size=4))
def test_the_money_equation_holds_for_generated_orders(order):
    """Issue 21's 10,000 generated orders: each example is an order of one to four storefront lines."""
    for variant, listing, quantity, rate in order:
        with override_settings(KOLSHOP_PLATFORM_FEE_RATE=str(rate)):
            _check_line(variant, listing, quantity)


def _check_line(variant, listing, quantity):
    if True:
        price = price_line(variant, quantity=quantity, now=NOW, listing=listing)
        assert price.listing is listing
        split = price.supply_split()
        assert split.wholesale + split.margin + split.fee == price.line_total
        assert min(split.wholesale, split.margin, split.fee) >= 0
        assert bounds_in_force(listing.offer).contains(price.unit_price)


@st.composite
def vouchers(draw):
    """A platform voucher, creator 1's or brand 1's, a percentage or a fixed amount in USD."""
    kind = draw(st.sampled_from(VoucherKind.values))
    value = (Decimal(draw(st.integers(1, 100))) if kind == VoucherKind.PERCENTAGE
             else Decimal(draw(st.integers(1, 100_000))) / 100)
    funder = draw(st.sampled_from(["platform", "creator", "brand"]))
    return Voucher(code="GEN", kind=kind, value=value, currency="USD", creator_id=1 if funder == "creator" else None,
                   brand_id=1 if funder == "brand" else None)


def _of_brand(brand_id: int) -> SimpleNamespace:
    return SimpleNamespace(product=SimpleNamespace(brand_id=brand_id))


@hypothesis_settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rate=rates, data=st.data())
def test_the_money_equation_holds_with_vouchers(rate, data):
    """Every share within its funder's part; every split still adds up to what the buyer paid, no part negative,
    the brand's wholesale never cut; the discount is the voucher's, less only what no line could carry."""
    listed = data.draw(st.lists(storefront_lines(rate), min_size=1, max_size=4))
    catalog_totals = data.draw(st.lists(cents, max_size=2))
    voucher = data.draw(vouchers())
    with override_settings(KOLSHOP_PLATFORM_FEE_RATE=str(rate)):
        prices = [price_line(variant, quantity=quantity, now=NOW, listing=listing)
                  for variant, listing, quantity, _rate in listed]
        # each line of brand 1 or brand 2 (a brand's voucher applies to its own lines only)
        lines = [SimpleNamespace(price=price, line_total=price.line_total,
                                 variant=_of_brand(data.draw(st.sampled_from([1, 2])))) for price in prices]
        lines += [SimpleNamespace(price=SimpleNamespace(listing=None), line_total=total,
                                  variant=_of_brand(data.draw(st.sampled_from([1, 2])))) for total in catalog_totals]
        subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
        rooms = [line_discount_room(voucher, line) for line in lines]
        wanted = voucher_discount(voucher, subtotal=subtotal)
        try:
            shares = allocate_voucher_discount(voucher, lines, subtotal=subtotal, currency="USD")
        except Conflict:
            assert wanted > 0 and sum(rooms) < Decimal("0.01")
            return
        assert sum(shares) == min(wanted, sum(rooms))
        for line, share, room in zip(lines, shares, rooms):
            assert Decimal("0.00") <= share <= room
            if voucher.brand_id is not None and line.variant.product.brand_id != voucher.brand_id:
                assert room == share == Decimal("0.00")  # another brand's line carries nothing of it
            if line.price.listing is None:
                continue
            before = line.price.supply_split()
            after = split_discounted(before, discount=share, funder=voucher_funder(voucher))
            assert after.wholesale + after.margin + after.fee == line.line_total - share
            assert min(after.wholesale, after.margin, after.fee) >= 0
            if voucher.brand_id is None:
                assert after.wholesale == before.wholesale  # the brand's wholesale is cut only by its own voucher
            else:  # the brand bears it all: the creator's margin and the platform's fee stay as they were
                assert (after.margin, after.fee, after.wholesale) == (before.margin, before.fee,
                                                                      before.wholesale - share)


_numbers = itertools.count(1)


@pytest.mark.django_db
@hypothesis_settings(max_examples=15, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(cents.filter(lambda amount: amount <= 200), st.integers(0, 5000),
                                st.integers(1, 3)), min_size=1, max_size=3))
def test_placed_orders_keep_the_equation_in_the_database(lines, shop_settings):
    """Each generated cart: one brand per line, a live listing each, checked out through start_checkout."""
    from shop.models import Cart
    from shop.services.cart import add_line_to_cart
    from tests.factories import make_product
    from tests.shop.helpers import checkout
    from tests.shop.supply_helpers import live_listing, offer_for

    cart = Cart.objects.create()
    for wholesale, markup_cents, quantity in lines:
        sku = f"EQ-{next(_numbers)}"
        variant = make_product(variants=[(sku, "500.00", 10)]).variants.get()
        floor = cost_floor(wholesale)
        price = floor + Decimal(markup_cents) / 100
        offer = offer_for(variant, wholesale_price=wholesale, recommended_price=price, max_price=None)
        listing = live_listing(offer, creator_id=1, price=str(price))
        add_line_to_cart(cart, sku=sku, quantity=quantity, listing_id=listing.pk)
    order = checkout(cart).order
    placed = list(order.lines.all())
    assert all(line.line_total == line.wholesale_amount + line.creator_margin + line.platform_fee for line in placed)
    assert sum(line.line_total for line in placed) + order.shipping_total == order.total
    assert order.fulfilment_groups.count() == len(lines)
