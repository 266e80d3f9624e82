"""Supply splits in the currency's minor unit: in JPY (no minor unit) every brand's and creator's part of a
refund or dispute is whole yen, so the reversals sent to Stripe add up to what was transferred, never more."""

from decimal import Decimal

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from shop.errors import InvalidInput
from shop.models import (
    Cart, OrderLine, StorefrontListing, SupplyLineSplit, SupplyReversalStatus, SupplyTransferReversal, Variant,
)
from shop.money import minor_unit, to_minor_units
from shop.payments.webhooks import handle_event
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from shop.services.listing_prices import cost_floor
from shop.services.refunds import refund_order
from shop.services.supply_settlement import pay_supply_transfers, transfer_group_of
from shop.services.supply_splits import split_taken_back
from tests.creators.helpers import LOST, dispute_event
from tests.factories import make_brand, make_brand_user, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import live_listing, offer_for

ZERO = Decimal("0.00")


def test_two_half_refunds_of_a_101_yen_wholesale_take_50_and_51_yen():
    line = OrderLine(line_total=Decimal("140.00"), wholesale_amount=Decimal("101.00"), creator_margin=Decimal("32.00"),
                     platform_fee=Decimal("7.00"), currency="JPY")

    first = split_taken_back(line, before=ZERO, after=Decimal("70.00"))
    second = split_taken_back(line, before=Decimal("70.00"), after=Decimal("140.00"))

    assert first == (Decimal("50.00"), Decimal("16.00"), Decimal("4.00"))
    assert second == (Decimal("51.00"), Decimal("16.00"), Decimal("3.00"))
    assert to_minor_units(first[0], "JPY") + to_minor_units(second[0], "JPY") == 101


@hypothesis_settings(max_examples=1500, deadline=None)
@given(currency=st.sampled_from(["JPY", "KRW", "USD"]), wholesale_units=st.integers(0, 50_000),
       margin_cents=st.integers(0, 5_000_000), fee_cents=st.integers(1, 500_000),
       takes=st.lists(st.integers(1, 10_000), min_size=1, max_size=8), finish=st.booleans())
def test_any_refunds_and_disputes_split_in_whole_minor_units_within_what_was_paid(
        currency, wholesale_units, margin_cents, fee_cents, takes, finish):
    """Refunds and disputes alike take ``amount`` of a line at a time (any amount to the cent, as a refund of
    some units or a dispute's spread gives): each brand part is a whole minor unit, so it converts to the
    gateway's units as it is; the brand's and creator's parts never exceed the line's parts and add up to them
    exactly once everything went back. The platform's fee takes the rounding: until then it may be ahead or
    behind its share by less than one minor unit (a yen; for USD it stays within the fee, as before)."""
    wholesale = Decimal(wholesale_units) * minor_unit(currency)
    margin, fee = Decimal(margin_cents) / 100, Decimal(fee_cents) / 100  # a fee (so a margin) need not be whole yen
    line = OrderLine(line_total=wholesale + margin + fee, wholesale_amount=wholesale, creator_margin=margin,
                     platform_fee=fee, currency=currency)
    taken = taken_w = taken_m = taken_f = ZERO
    sent_back = 0
    for share in takes + ([10_000] if finish else []):
        amount = min(line.line_total - taken, max(Decimal("0.01"), (line.line_total * share / 10_000)
                                                  .quantize(Decimal("0.01"))))
        w, m, f = split_taken_back(line, before=taken, after=taken + amount)
        assert w + m + f == amount and w >= 0 and m >= 0
        assert w % minor_unit(currency) == 0
        sent_back += to_minor_units(w, currency)
        taken, taken_w, taken_m, taken_f = taken + amount, taken_w + w, taken_m + m, taken_f + f
        assert taken_w <= wholesale and taken_m <= margin
        slack = ZERO if currency == "USD" else minor_unit(currency)
        assert -slack <= taken_f <= fee + slack
    assert sent_back == to_minor_units(taken_w, currency) <= to_minor_units(wholesale, currency)
    if taken == line.line_total:
        assert (taken_w, taken_m, taken_f) == (wholesale, margin, fee)


@pytest.fixture
def yen_order(site_tree, fake_connect, shop_settings):
    """1 × J-1 at 140 yen (wholesale 101, fee 7, margin 32), shipped free, from a brand with a Stripe account."""
    shop_settings.KOLSHOP_DEFAULT_CURRENCY = "JPY"
    shop_settings.KOLSHOP_SHIPPING_RATES = "US:0"
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand = make_brand("Yamato")
    brand.stripe_account_id = fake_connect.create_account()
    brand.save()
    make_product(brand=brand, variants=[("J-1", "150.00", 10)], currency="JPY")
    offer = offer_for(Variant.objects.get(sku="J-1"), user=make_brand_user(brand=brand), currency="JPY",
                      wholesale_price="101.00", recommended_price="140.00", max_price="200.00")
    listing = live_listing(offer, creator_id=make_creator().pk, price="140.00")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="J-1", quantity=1, listing_id=listing.pk)
    order = confirm_payment(checkout(cart).order)
    return order, brand, order.lines.get()


@pytest.mark.django_db
def test_a_half_lost_dispute_and_a_refund_of_the_rest_recover_the_101_yen_sent_exactly(
        yen_order, fake_connect, django_capture_on_commit_callbacks):
    order, brand, line = yen_order
    assert (order.currency, order.total, line.wholesale_amount, line.creator_margin, line.platform_fee) == (
        "JPY", Decimal("140.00"), Decimal("101.00"), Decimal("32.00"), Decimal("7.00"))
    pay_supply_transfers(order_id=order.pk)

    with django_capture_on_commit_callbacks(execute=True):
        for number, (event_type, status) in enumerate(LOST):
            handle_event(dispute_event(order, event_type=event_type, event_id=f"evt_{number}", amount=70,
                                       status=status))
        refund = refund_order(order)

    assert [(s.source_ref, s.amount, s.wholesale_part, s.margin_part, s.fee_part)
            for s in SupplyLineSplit.objects.filter(order_line=line)] == [
        ("dispute:dp_1", Decimal("70.00"), Decimal("50.00"), Decimal("16.00"), Decimal("4.00")),
        (f"refund:{refund.pk}", Decimal("70.00"), Decimal("51.00"), Decimal("16.00"), Decimal("3.00"))]
    assert [(r.amount, r.status) for r in SupplyTransferReversal.objects.filter(transfer__order=order)] == [
        (Decimal("50.00"), SupplyReversalStatus.RECOVERED), (Decimal("51.00"), SupplyReversalStatus.RECOVERED)]
    assert [(t["amount"], t["amount_reversed"]) for t in fake_connect.transfers(
        transfer_group=transfer_group_of(order))] == [(101, 101)]


def test_a_yen_offers_floor_is_whole_yen_and_a_cent_floor_stays_in_cents():
    assert cost_floor(Decimal("101.00"), rate=Decimal("0.05"), currency="JPY") == Decimal("107.00")
    assert cost_floor(Decimal("101.00"), rate=Decimal("0.05"), currency="USD") == Decimal("106.32")


@pytest.mark.django_db
def test_a_yen_line_splits_into_whole_yen_and_yen_prices_are_whole(site_tree, shop_settings):
    """A 143-yen listing at a 5 % fee: the fee is 7 yen (not 7.15), so the margin is whole yen too; an offer or a
    listing priced in fractions of a yen is refused on the field at fault and nothing is written."""
    shop_settings.KOLSHOP_DEFAULT_CURRENCY = "JPY"
    shop_settings.KOLSHOP_SHIPPING_RATES = "US:0"
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand = make_brand("Yamato")
    make_product(brand=brand, variants=[("J-2", "150.00", 10)], currency="JPY")
    variant = Variant.objects.get(sku="J-2")
    with pytest.raises(InvalidInput) as refused:
        offer_for(variant, user=make_brand_user(brand=brand), currency="JPY", wholesale_price="101.50",
                  recommended_price="140.00", max_price="200.00")
    assert (refused.value.code, refused.value.field) == ("invalid_amount", "wholesale_price")
    offer = offer_for(variant, user=make_brand_user(brand=brand), currency="JPY", wholesale_price="101.00",
                      recommended_price="140.00", max_price="200.00")
    creator = make_creator()
    with pytest.raises(InvalidInput) as refused:
        live_listing(offer, creator_id=creator.pk, price="143.50")
    assert (refused.value.code, refused.value.field) == ("invalid_amount", "price")
    assert not StorefrontListing.objects.exists()

    listing = live_listing(offer, creator_id=creator.pk, price="143.00")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="J-2", quantity=1, listing_id=listing.pk)
    line = checkout(cart).order.lines.get()

    assert (line.line_total, line.wholesale_amount, line.creator_margin, line.platform_fee) == (
        Decimal("143.00"), Decimal("101.00"), Decimal("35.00"), Decimal("7.00"))
