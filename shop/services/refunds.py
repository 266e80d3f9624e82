"""Refunds: staff ask for a full or per-line refund; the gateway's report settles it.

A request reserves the refunded quantities on the order lines (so two staff can't refund the
same unit twice), commits, and only then calls the gateway. The order's refund state and the
optional restock follow the gateway: Stripe's ``charge.refunded`` webhook, or at once for the
dummy gateway.
"""

import logging
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from shop import events
from shop.errors import Conflict, InvalidInput, Unavailable
from shop.models import (
    Order,
    OrderEventType,
    OrderLine,
    OrderNotificationKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundLine,
    RefundStatus,
)
from shop.money import quantize
from shop.payments.gateway import PaymentGatewayError
from shop.payments.registry import get_gateway
from shop.services.inventory import restock
from shop.services.notifications import notify_buyer
from shop.services.orders import record_event
from shop.services.voucher_remainders import restore_voucher_for_refund

_REFUNDABLE_STATUSES = {OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED}

logger = logging.getLogger(__name__)


def line_refund_amount(line: OrderLine, quantity: int) -> Decimal:
    """The line's paid price for ``quantity`` units; the last units take the rounding rest."""
    if quantity == line.quantity - line.refunded_quantity:
        return line.line_total - line.refunded_amount
    return quantize(line.line_total * quantity / line.quantity)


def _succeeded_payment(order: Order) -> Payment:
    payment = order.payments.filter(status=PaymentStatus.SUCCEEDED).order_by("pk").first()
    if payment is None:
        raise Conflict("This order has no successful payment to refund.", code="not_refundable")
    return payment


def _shipping_refunded(order: Order) -> bool:
    return order.refunds.filter(includes_shipping=True).exclude(status=RefundStatus.FAILED).exists()


def _add_refunded(line: OrderLine, quantity: int, amount: Decimal) -> None:
    """Move a locked line's refunded figures by ``quantity`` and ``amount``, summed in Python as Decimals
    (an ``F()`` sum is floating point on SQLite: 0.80 three times would break the line's CHECK)."""
    line.refunded_quantity += quantity
    line.refunded_amount += amount
    OrderLine.objects.filter(pk=line.pk).update(refunded_quantity=line.refunded_quantity,
                                                refunded_amount=line.refunded_amount)


@transaction.atomic
def _reserve_refund(order: Order, *, quantities: dict[int, int] | None, include_shipping: bool, restock: bool,
                    actor: AbstractBaseUser | None, reason: str) -> Refund:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in _REFUNDABLE_STATUSES:
        raise Conflict(f"A {order.get_status_display().lower()} order can't be refunded.", code="not_refundable")
    payment = _succeeded_payment(order)
    lines = {line.pk: line for line in order.lines.select_for_update().order_by("pk")}
    if quantities is None:  # full refund of whatever remains
        quantities = {pk: line.refundable_quantity for pk, line in lines.items() if line.refundable_quantity}
        include_shipping = True
    refund_lines = []
    for line_id, quantity in sorted(quantities.items()):
        line = lines.get(line_id)
        if line is None:
            raise InvalidInput("This line is not part of the order.", code="unknown_line", field="lines")
        if quantity <= 0 or quantity > line.refundable_quantity:
            raise InvalidInput(f"Refund between 1 and {line.refundable_quantity} of {line.sku}.",
                               code="invalid_quantity", field="lines")
        refund_lines.append(RefundLine(order_line=line, quantity=quantity, amount=line_refund_amount(line, quantity)))
    shipping = order.shipping_total if include_shipping and not _shipping_refunded(order) else Decimal("0.00")
    amount = sum((line.amount for line in refund_lines), Decimal("0.00")) + shipping
    already = order.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount"))["total"] or 0
    if amount <= 0:
        raise InvalidInput("Nothing is left to refund.", code="nothing_to_refund", field="lines")
    if already + amount > payment.amount:
        raise Conflict("That is more than was paid.", code="refund_exceeds_payment")
    refund = Refund.objects.create(payment=payment, order=order, amount=amount, currency=payment.currency,
                                   restock=restock, includes_shipping=shipping > 0, reason=reason[:200],
                                   created_by=actor if actor is not None and actor.is_authenticated else None)
    for refund_line in refund_lines:
        refund_line.refund = refund
        _add_refunded(refund_line.order_line, refund_line.quantity, refund_line.amount)
    RefundLine.objects.bulk_create(refund_lines)
    record_event(order, OrderEventType.REFUND_REQUESTED, before=order.status, actor=actor, data={
        "refund_id": refund.pk, "amount": str(amount), "restock": restock,
        "lines": {str(line.order_line.pk): line.quantity for line in refund_lines}, "shipping": str(shipping),
    })
    return refund


@transaction.atomic
def _fail_refund(refund: Refund, message: str) -> None:
    order = Order.objects.select_for_update().get(pk=refund.order_id)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != RefundStatus.PENDING:
        return
    refund_lines = list(refund.lines.all())
    order_lines = OrderLine.objects.select_for_update().in_bulk([line.order_line_id for line in refund_lines])
    for line in refund_lines:
        _add_refunded(order_lines[line.order_line_id], -line.quantity, -line.amount)
    refund.status = RefundStatus.FAILED
    refund.save(update_fields=["status"])
    record_event(order, OrderEventType.REFUND_FAILED, before=order.status,
                 data={"refund_id": refund.pk, "message": message[:300]})


def send_refund(refund: Refund) -> Refund:
    """One gateway call; the idempotency key is the refund's own, so every retry of it is the same refund."""
    payment = refund.payment
    gateway = get_gateway(payment.gateway)
    Refund.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1)
    try:
        result = gateway.refund(
            payment.intent_id, amount=refund.amount, currency=refund.currency,
            idempotency_key=f"kolshop-refund-{refund.pk}",
            metadata={"order_number": refund.order.number, "refund_id": str(refund.pk)},
        )
    except PaymentGatewayError as error:
        logger.warning("Refund %s of order %s failed [%s]: %s", refund.pk, refund.order.number, error.code,
                       error.detail)
        message = error.provider_message or error.message  # staff read it: Stripe's answer, never a host
        _fail_refund(refund, message)
        raise Unavailable(message, code="refund_failed") from error
    Refund.objects.filter(pk=refund.pk).update(gateway_refund_id=result.refund_id)
    if result.succeeded and not gateway.sends_webhooks:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            _apply_refund_total(locked, locked.amount_refunded + refund.amount)
    refund.refresh_from_db()
    return refund


def refund_order(
    order: Order,
    *,
    quantities: dict[int, int] | None = None,
    include_shipping: bool = False,
    restock: bool = False,
    actor: AbstractBaseUser | None = None,
    reason: str = "",
) -> Refund:
    """Refund ``quantities`` ({order line id: units}), or everything left when None (with shipping)."""
    refund = _reserve_refund(order, quantities=quantities, include_shipping=include_shipping, restock=restock,
                             actor=actor, reason=reason)
    return send_refund(refund)


def retry_refund(refund: Refund, *, actor: AbstractBaseUser | None = None) -> Refund:
    """Send a failed automatic refund again, with its first idempotency key, so the money goes back once.

    A refund that is no longer failed (it went through, or another try is under way) is left alone.
    Staff (``actor``) may retry after the automatic attempts are used up.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund.pk)
        if not refund.automatic:
            raise Conflict("Only automatic refunds are retried; refund the order instead.",
                           code="not_retryable")
        if refund.status != RefundStatus.FAILED:
            return refund
        refund.status = RefundStatus.PENDING
        refund.save(update_fields=["status"])
        record_event(order, OrderEventType.REFUND_RETRIED, before=order.status, actor=actor,
                     data={"refund_id": refund.pk, "attempt": refund.attempts + 1})
    return send_refund(refund)


def refunds_needing_staff() -> QuerySet[Refund]:
    """Automatic refunds that failed: money a buyer should have back. Staff see them on the order."""
    return Refund.objects.filter(automatic=True, status=RefundStatus.FAILED)


def record_refund_total(intent_id: str, *, amount_refunded: Decimal, force: bool = False) -> Payment | None:
    """The gateway says ``amount_refunded`` in total has gone back (Stripe's charge.refunded).

    Totals only grow, so a stale or repeated event changes nothing.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(intent_id=intent_id).first()
        if payment is None:
            return None
        _apply_refund_total(payment, amount_refunded, force=force)
    return payment


def _apply_refund_total(payment: Payment, total: Decimal, *, force: bool = False) -> None:
    total = min(quantize(total), payment.amount)
    if total <= payment.amount_refunded and not force:
        return
    payment.amount_refunded = total
    payment.save(update_fields=["amount_refunded", "updated_at"])
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    if payment.status != PaymentStatus.SUCCEEDED:
        return  # kept on the payment; applied when the payment's success arrives
    settled = Decimal("0.00")
    succeeded = []
    for refund in payment.refunds.select_for_update().order_by("pk"):
        if refund.status == RefundStatus.FAILED:
            continue
        settled += refund.amount
        if refund.status == RefundStatus.PENDING and settled <= total:
            refund.status = RefundStatus.SUCCEEDED
            refund.save(update_fields=["status"])
            succeeded.append(refund)
            if refund.restock and order.is_paid:
                _restock(order, refund)
    if not order.is_paid:
        return  # a cancelled order (stock ran out after payment) keeps its status
    if order.events.filter(type=OrderEventType.DUPLICATE_PAYMENT, data__intent_id=payment.intent_id).exists():
        return  # a second payment of a paid order given back: the order stands on the payment that paid it
    before = order.status
    order.amount_refunded = total
    order.status = OrderStatus.REFUNDED if total >= order.total else OrderStatus.PARTIALLY_REFUNDED
    order.save(update_fields=["amount_refunded", "status", "updated_at"])
    record_event(order, OrderEventType.REFUNDED, before=before, after=order.status,
                 data={"amount_refunded": str(total), "currency": payment.currency, "at": timezone.now().isoformat()})
    for refund in succeeded:
        events.order_refunded.send(order=order, refund=refund)
        restore_voucher_for_refund(order, refund)  # a reward voucher's discount on what was given back
    # One notice per refunded total (a refund made in the admin or in Stripe's dashboard alike).
    notify_buyer(order, kind=OrderNotificationKind.REFUNDED, reference=str(total))


def _restock(order: Order, refund: Refund) -> None:
    quantities: dict[int, int] = {}
    for line in refund.lines.select_related("order_line"):
        variant_id = line.order_line.variant_id
        if variant_id is not None:
            quantities[variant_id] = quantities.get(variant_id, 0) + line.quantity
    restock(quantities)
    record_event(order, OrderEventType.RESTOCKED, before=order.status, data={
        "refund_id": refund.pk, "variants": {str(k): v for k, v in sorted(quantities.items())},
    })
