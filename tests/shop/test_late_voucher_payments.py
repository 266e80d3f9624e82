"""Late payments and voucher limits: one rule (``shop.services.vouchers.voucher_lapsed``).

An order whose hold expired gave its voucher use back; when its payment arrives after another order took
that use, the funder is not made to pay twice: the late order stays cancelled and is refunded in full.
"""

from decimal import Decimal

import pytest

from shop.models import Order, OrderEventType, OrderStatus, Payment, PaymentStatus, Refund, Voucher
from shop.services.checkout import confirm_payment
from tests.shop.helpers import cart_with, checkout, on_hand, variant_with_stock
from tests.shop.late_payments import let_the_hold_run_out, pay_by_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    variant_with_stock("A-1", price="30.00", on_hand=10)
    return shop_settings


def _lapsed_events(order: Order) -> list:
    return list(order.events.filter(type=OrderEventType.VOUCHER_LAPSED).values_list("data", flat=True))


def test_a_late_payment_for_a_single_use_voucher_another_order_took_is_refunded_once(
        django_capture_on_commit_callbacks):
    voucher = Voucher.objects.create(code="ONCE", kind="fixed", value=Decimal("10.00"), currency="USD",
                                     usage_limit=1)
    late = checkout(cart_with(("A-1", 1)), email="late@example.com", voucher_code="once").order
    let_the_hold_run_out(late)
    other = confirm_payment(checkout(cart_with(("A-1", 1)), email="other@example.com", voucher_code="once").order)

    with django_capture_on_commit_callbacks(execute=True):
        first = pay_by_webhook(late, event_id="evt_late_1")
    with django_capture_on_commit_callbacks(execute=True):
        again = pay_by_webhook(late, event_id="evt_late_2")

    late.refresh_from_db()
    assert (first, again) == ("processed", "processed")
    assert (other.status, late.status, late.total) == (OrderStatus.PAID, OrderStatus.CANCELLED, Decimal("25.00"))
    assert Payment.objects.get(order=late).status == PaymentStatus.SUCCEEDED
    assert list(Refund.objects.values_list("order_id", "amount", "automatic", "reason")) == [
        (late.pk, Decimal("25.00"), True, "the voucher was used up or ended before payment")]
    assert _lapsed_events(late) == [{"intent_id": late.payments.get().intent_id, "voucher_id": voucher.pk,
                                     "refusal": "voucher_used_up"}]
    assert on_hand("A-1") == 9  # only the honoured order's unit left the shelf
    assert Order.objects.filter(voucher=voucher, paid_at__isnull=False).count() == 1


def test_a_late_payment_whose_voucher_use_is_still_free_is_honoured(django_capture_on_commit_callbacks):
    Voucher.objects.create(code="ONCE", kind="fixed", value=Decimal("10.00"), currency="USD", usage_limit=1)
    late = checkout(cart_with(("A-1", 1)), email="late@example.com", voucher_code="once").order
    let_the_hold_run_out(late)

    with django_capture_on_commit_callbacks(execute=True):
        pay_by_webhook(late, event_id="evt_late_1")

    late.refresh_from_db()
    assert (late.status, late.discount_total, _lapsed_events(late)) == (OrderStatus.PAID, Decimal("10.00"), [])
    assert (Refund.objects.count(), on_hand("A-1")) == (0, 9)


def test_a_late_payment_past_the_buyers_own_limit_is_refunded(django_capture_on_commit_callbacks):
    Voucher.objects.create(code="MINE", kind="percentage", value=Decimal("10"), per_buyer_limit=1)
    late = checkout(cart_with(("A-1", 1)), email="ada@example.com", voucher_code="mine").order
    let_the_hold_run_out(late)
    confirm_payment(checkout(cart_with(("A-1", 2)), email="ADA@example.com", voucher_code="mine").order)

    with django_capture_on_commit_callbacks(execute=True):
        pay_by_webhook(late, event_id="evt_late_1")

    late.refresh_from_db()
    assert late.status == OrderStatus.CANCELLED
    assert [event["refusal"] for event in _lapsed_events(late)] == ["voucher_buyer_limit"]
    assert list(Refund.objects.values_list("order_id", "amount")) == [(late.pk, late.total)]
