"""Rollups follow late changes: a refund settling (Stripe's charge.refunded) after its order's day was
rolled up reaches that day's row; reruns are idempotent."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from creators.models import DailyPerformance, OrderLineFact, ReportDirtyDay
from creators.reports.figures import utc_day
from creators.reports.queries import OTHER_LABEL, ReportFilters, build_report
from creators.reports.rollup import roll_up
from shop.models import Cart, Order, OrderStatus, RefundStatus
from shop.payments.gateway import IntentResult, RefundResult
from shop.services.cart import add_to_cart
from shop.services.checkout import start_checkout
from shop.services.refunds import refund_order
from tests.factories import make_brand, make_product, make_user
from tests.shop.conftest import WEBHOOK_SECRET
from tests.shop.helpers import US_ADDRESS, intent_object, post_webhook, signed_event

pytestmark = pytest.mark.django_db


class PendingRefundsGateway:
    """Stands in for Stripe: intents are paid and refunds settled only by webhooks."""

    name = "stripe"
    publishable_key = "pk_test"
    sends_webhooks = True
    confirms_on_server = False

    def create_intent(self, *, amount, currency, reference, idempotency_key, metadata):
        return IntentResult(intent_id=f"pi_{reference}", client_secret=f"pi_{reference}_secret", succeeded=False)

    def cancel_intent(self, intent_id, *, idempotency_key):
        return None

    def refund(self, intent_id, *, amount, currency, idempotency_key, metadata):
        return RefundResult(refund_id=f"re_{idempotency_key}", succeeded=False)


@pytest.fixture
def stripe_shop(settings):
    settings.KOLSHOP_PAYMENT_GATEWAY = "stripe"
    settings.KOLSHOP_SHIPPING_RATES = "US:5.00"
    settings.KOLSHOP_DEFAULT_CURRENCY = "USD"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


def paid_days_ago(days: int) -> Order:
    """A direct sale of a speaker (100.00) and a cable (20.00) + 5.00 shipping, paid by webhook, then
    dated ``days`` back (as if it had been paid then)."""
    acme = make_brand("Acme Audio")
    make_product(brand=acme, title="Acme Speaker", variants=[("ACME-SPK", "100.00", 5)])
    make_product(brand=acme, title="Acme Cable", variants=[("ACME-CBL", "20.00", 5)])
    cart = Cart.objects.create()
    add_to_cart(cart, sku="ACME-SPK", quantity=1)
    add_to_cart(cart, sku="ACME-CBL", quantity=1)
    order = start_checkout(cart, email="reader@private.example", fulfilment="shipping", address=US_ADDRESS,
                           gateway=PendingRefundsGateway()).order
    post_webhook(*signed_event("payment_intent.succeeded", intent_object(f"pi_{order.number}", amount=12500),
                               event_id="evt_paid"))
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=days))
    return Order.objects.get(pk=order.pk)


def settle(order: Order, *, cents: int, event_id: str) -> None:
    charge = {"id": "ch_1", "object": "charge", "payment_intent": f"pi_{order.number}", "amount": 12500,
              "amount_refunded": cents, "currency": "usd"}
    post_webhook(*signed_event("charge.refunded", charge, event_id=event_id))


def refund(order: Order, sku: str | None):
    quantities = None if sku is None else {order.lines.get(sku=sku).pk: 1}
    with mock.patch("shop.services.refunds.get_gateway", return_value=PendingRefundsGateway()):
        return refund_order(order, quantities=quantities, actor=make_user("staff"))


def day_report(order: Order, group_by: str = "product"):
    day = utc_day(order.paid_at)
    return build_report(ReportFilters(start=day, end=day, group_by=group_by,
                                      brand_ids=frozenset({order.lines.first().brand_id})))


def rollup_rows(day) -> list[tuple]:
    return sorted(DailyPerformance.objects.filter(day=day).values_list()) + sorted(
        OrderLineFact.objects.filter(day=day).values_list())


def test_a_refund_settling_two_days_later_reaches_the_rolled_up_day_of_its_order(stripe_shop):
    order = paid_days_ago(2)
    day = utc_day(order.paid_at)
    assert roll_up().days_rebuilt == [day]
    requested = refund(order, "ACME-CBL")  # asked for on day D+2, pending at the gateway
    roll_up()
    assert (requested.status, day_report(order).totals[0].refunds) == (RefundStatus.PENDING, Decimal("0.00"))

    settle(order, cents=2000, event_id="evt_refund_1")  # Stripe settles it: no new row, a status change
    assert list(ReportDirtyDay.objects.values_list("day", flat=True)) == [day]
    result = roll_up()

    assert result.days_rebuilt == [day]
    report = day_report(order)
    total = report.totals[0]
    assert (total.orders, total.units, total.gmv, total.refunds, total.net_gmv) == (
        1, 2, Decimal("120.00"), Decimal("20.00"), Decimal("100.00"))
    # both product rows hold the same single order: folded together, it still counts once
    assert [(row.label, row.orders, row.gmv, row.refunds) for row in report.rows] == [
        (OTHER_LABEL, 1, Decimal("120.00"), Decimal("20.00"))]
    assert not ReportDirtyDay.objects.exists()


def test_rerunning_the_rollup_after_a_late_change_gives_identical_rows(stripe_shop):
    order = paid_days_ago(3)
    day = utc_day(order.paid_at)
    roll_up()
    refund(order, "ACME-SPK")
    settle(order, cents=10000, event_id="evt_refund_1")
    roll_up()
    snapshot = rollup_rows(day)

    again = roll_up()

    assert again.days_rebuilt == []
    assert rollup_rows(day) == snapshot
    assert OrderLineFact.objects.filter(day=day).count() == 2


def test_a_fully_refunded_order_still_counts_as_an_order_with_its_refund_shown(stripe_shop):
    order = paid_days_ago(1)
    roll_up()
    refund(order, None)  # everything, with shipping
    settle(order, cents=12500, event_id="evt_refund_all")
    roll_up()

    order.refresh_from_db()
    total = day_report(order, "creator").totals[0]
    assert order.status == OrderStatus.REFUNDED
    # lines only: the 5.00 shipping refund is not GMV and not a line refund
    assert (total.orders, total.gmv, total.refunds, total.net_gmv) == (
        1, Decimal("120.00"), Decimal("120.00"), Decimal("0.00"))
