"""Late payments and promotion caps: one rule (``shop.services.pricing.lapsed_promotion_lines``).

A payment whose hold ran out keeps its deal price only when a checkout made at that moment would get
it; otherwise the order stays cancelled and the payment is refunded in full. Payments arrive through
the signed webhook path, late, twice, or after someone else used up the cap.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.models import Order, OrderEventType, OrderStatus, Payment, PaymentStatus, Promotion, Refund
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment
from shop.services.pricing import PromotionRefusal
from tests.factories import make_deal
from tests.shop.helpers import cart_with, checkout, on_hand, variant_with_stock
from tests.shop.late_payments import let_the_hold_run_out, pay_by_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


def _deal_order(deal: Promotion, email: str, *, quantity: int = 1) -> Order:
    cart = cart_with()
    add_to_cart(cart, sku=deal.variant.sku, quantity=quantity, promotion_id=deal.pk)
    return checkout(cart, email=email).order


def _lapsed_events(order: Order) -> list:
    return list(order.events.filter(type=OrderEventType.PROMOTION_LAPSED).values_list("data", flat=True))


def test_a_late_payment_past_a_used_up_cap_is_refunded_once_however_often_it_arrives(
        django_capture_on_commit_callbacks):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", unit_cap=1)
    late = _deal_order(deal, "late@example.com")
    let_the_hold_run_out(late)
    other = confirm_payment(_deal_order(deal, "other@example.com"))  # the cap's last unit, freed by the sweep

    with django_capture_on_commit_callbacks(execute=True):
        first = pay_by_webhook(late, event_id="evt_late_1")
    with django_capture_on_commit_callbacks(execute=True):
        again = pay_by_webhook(late, event_id="evt_late_2")  # Stripe retries with a new event id
        replayed = pay_by_webhook(late, event_id="evt_late_1")

    late.refresh_from_db()
    assert (first, again, replayed) == ("processed", "processed", "duplicate")
    assert (other.status, late.status) == (OrderStatus.PAID, OrderStatus.CANCELLED)
    assert Payment.objects.get(order=late).status == PaymentStatus.SUCCEEDED
    assert list(Refund.objects.values_list("order_id", "amount", "automatic", "reason")) == [
        (late.pk, Decimal("104.00"), True, "the promotional price lapsed before payment")]
    assert _lapsed_events(late) == [{"intent_id": late.payments.get().intent_id, "lines": [
        {"sku": "HP-1", "promotion_id": deal.pk, "refusal": PromotionRefusal.SOLD_OUT}]}]
    assert on_hand("HP-1") == 9  # only the honoured order's unit left the shelf
    assert Order.objects.filter(status__in=[OrderStatus.PAID], lines__promotion=deal).count() == 1


def test_a_late_payment_the_cap_still_has_room_for_is_honoured_at_the_deal_price(
        django_capture_on_commit_callbacks):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", unit_cap=3)
    late = _deal_order(deal, "late@example.com", quantity=2)
    let_the_hold_run_out(late)
    confirm_payment(_deal_order(deal, "other@example.com"))

    with django_capture_on_commit_callbacks(execute=True):
        result = pay_by_webhook(late, event_id="evt_late")

    late.refresh_from_db()
    assert (result, late.status, late.total) == ("processed", OrderStatus.PAID, Decimal("203.00"))
    assert late.lines.get().unit_price == Decimal("99.00")
    assert Refund.objects.count() == 0
    assert _lapsed_events(late) == []
    assert on_hand("HP-1") == 7


def test_a_late_payment_after_the_deal_ended_is_refunded_even_with_units_left(django_capture_on_commit_callbacks):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", unit_cap=50)
    late = _deal_order(deal, "late@example.com")
    let_the_hold_run_out(late)
    Promotion.objects.filter(pk=deal.pk).update(ends_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        pay_by_webhook(late, event_id="evt_late")

    late.refresh_from_db()
    assert late.status == OrderStatus.CANCELLED
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("104.00")]
    assert _lapsed_events(late)[0]["lines"][0]["refusal"] == PromotionRefusal.ENDED
    assert on_hand("HP-1") == 10


def test_a_payment_in_time_is_honoured_after_the_deal_ended(django_capture_on_commit_callbacks):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", unit_cap=1)
    order = _deal_order(deal, "ada@example.com")
    Promotion.objects.filter(pk=deal.pk).update(ends_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        result = pay_by_webhook(order, event_id="evt_in_time")

    order.refresh_from_db()
    assert (result, order.status) == ("processed", OrderStatus.PAID)  # the hold was made while the deal ran
    assert Refund.objects.count() == 0


def test_a_late_payment_past_the_buyers_own_limit_is_refunded(django_capture_on_commit_callbacks):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", per_buyer_limit=1)
    late = _deal_order(deal, "ada@example.com")
    let_the_hold_run_out(late)
    confirm_payment(_deal_order(deal, "ADA@example.com"))  # the same buyer checked out again

    with django_capture_on_commit_callbacks(execute=True):
        pay_by_webhook(late, event_id="evt_late")

    late.refresh_from_db()
    assert late.status == OrderStatus.CANCELLED
    assert _lapsed_events(late)[0]["lines"][0]["refusal"] == PromotionRefusal.BUYER_LIMIT
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("104.00")]


def test_a_late_payment_without_a_promotion_is_still_revived(django_capture_on_commit_callbacks):
    variant_with_stock("HP-1", price="15.00", on_hand=5)
    late = checkout(cart_with(("HP-1", 1)), email="ada@example.com").order
    let_the_hold_run_out(late)

    with django_capture_on_commit_callbacks(execute=True):
        pay_by_webhook(late, event_id="evt_late")

    late.refresh_from_db()
    assert (late.status, Refund.objects.count(), on_hand("HP-1")) == (OrderStatus.PAID, 0, 4)


def test_a_late_payment_of_a_replaced_checkout_does_not_count_its_own_replacement(django_capture_on_commit_callbacks):
    variant = variant_with_stock("HP-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", unit_cap=1, per_buyer_limit=1)
    cart = cart_with()
    add_to_cart(cart, sku="HP-1", quantity=1, promotion_id=deal.pk)
    first = checkout(cart).order
    second = checkout(cart).order  # the buyer restarted checkout; the first order is replaced

    with django_capture_on_commit_callbacks(execute=True):
        pay_by_webhook(first, event_id="evt_first")  # …but had paid the first one in another tab

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (OrderStatus.PAID, OrderStatus.CANCELLED)
    assert first.lines.get().unit_price == Decimal("99.00")
    assert Refund.objects.count() == 0
