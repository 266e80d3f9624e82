"""What happens when the gateway reports on a payment. Every function here is idempotent and
order-independent: a retried or early event changes nothing it shouldn't.

Locks are always taken cart → payment → order → stock rows (primary-key order), the cart first
as checkout takes it, so a payment arriving during a restarted checkout waits instead of deadlocking.

A cart buys once: when one of its orders is paid the cart is closed and its other pending orders
cancelled, and a late payment for any other order of that cart is refunded in full.

A late payment (the order's hold ran out) is honoured when its stock is still there and a checkout
made now would get the same promotional prices (``shop.services.pricing.lapsed_promotion_lines``,
caps and windows of deals, flash deals and group prices); otherwise it is refunded in full.
"""

import logging
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from shop import events
from shop.models import (
    Cart, CartLine, Order, OrderEventType, OrderLine, OrderNotificationKind, OrderStatus, Payment, PaymentStatus,
)
from shop.payments.gateway import PaymentGatewayError
from shop.payments.registry import get_gateway
from shop.services import write_batches
from shop.services.attached_rows import attach_prefetched
from shop.services.automatic_refunds import refund_payment_in_full
from shop.services.built_statements import Quote, built_once
from shop.services.compiled_queries import compiled
from shop.services.orders import record_event
from shop.services.inventory import take_sold_stock
from shop.services.pricing import lapsed_promotion_lines
from shop.services.notifications import notify_buyer
from shop.services.refunds import record_refund_total
from shop.services.reservations import cancel_pending_orders, lock_stock, release_reservations
from shop.services.voucher_remainders import issue_voucher_remainder
from shop.services.vouchers import voucher_lapsed

logger = logging.getLogger(__name__)


class UnknownPayment(LookupError):
    pass


def lock_payment(intent_id: str) -> Payment:
    payment = Payment.objects.select_for_update().filter(intent_id=intent_id).first()
    if payment is None:
        raise UnknownPayment(intent_id)
    return payment


def _payment_with_cart_locked(*, intent_id: str):
    return (Payment.objects.select_for_update(of=("order__cart", "self", "order")).select_related("order__cart")
            .filter(intent_id=intent_id, order__cart__isnull=False).order_by("pk")[:1])


def _order_lines_of(*, order_id: int):
    # Each line with its variant's product (one join): stock news and live sessions need no look-up after commit.
    return OrderLine.objects.filter(order_id=order_id).annotate(variant_product_id=F("variant__product_id")).order_by("pk")


def _payment_status(*, payment_id: int, status: str, updated_at: datetime):
    return Payment.objects.filter(pk=payment_id), {"status": status, "updated_at": updated_at}


def _order_paid(*, order_id: int, status: str, paid_at: datetime, updated_at: datetime):
    return Order.objects.filter(pk=order_id), {"status": status, "paid_at": paid_at, "updated_at": updated_at}


def _paid_cart_lines(*, cart_id: int, variant_ids: list[int]):
    return CartLine.objects.filter(cart_id=cart_id, variant_id__in=variant_ids)


# Built and compiled once per process (shop.services.compiled_queries): every payment runs them.
_compiled_payment_with_cart_locked, _compiled_order_lines_of = compiled(_payment_with_cart_locked), compiled(
    _order_lines_of)
_set_payment_status = write_batches.compiled_update(Payment, _payment_status)
_set_order_paid = write_batches.compiled_update(Order, _order_paid)
_delete_paid_cart_lines = write_batches.compiled_delete(CartLine, _paid_cart_lines)


def _lock_payment_with_cart(intent_id: str) -> tuple[Payment, Cart | None]:
    """The payment, its order and the order's cart, locked in one statement in the documented order: PostgreSQL
    locks the rows of ``FOR UPDATE OF`` in the order it names them (cart, payment, order). An order without a
    cart (the outer join's nullable side can't be locked) costs a second statement: payment, then order."""
    payment = next(iter(_compiled_payment_with_cart_locked(intent_id=intent_id)), None)
    if payment is not None:
        return payment, payment.order.cart
    payment = (Payment.objects.select_for_update(of=("self", "order")).select_related("order")
               .filter(intent_id=intent_id).first())
    if payment is None:
        raise UnknownPayment(intent_id)
    return payment, None


def complete_checkout(intent_id: str, *, amount: Decimal | None = None, currency: str | None = None) -> Order:
    """The payment succeeded: mark the order paid and take its units off the shelf, exactly once.

    Works from a pending order, or from one cancelled because its hold expired. When the stock
    is gone by then (the hold expired and others bought it), the order is cancelled and the
    payment refunded in full after the commit.
    """
    return complete_payment(intent_id, amount=amount, currency=currency)[0]


def complete_payment(intent_id: str, *, amount: Decimal | None = None,
                     currency: str | None = None) -> tuple[Order, Payment]:
    """``complete_checkout``, answering with the payment as well (as this left it), so the buyer's answer
    needs no second read of it."""
    with transaction.atomic():
        payment, cart = _lock_payment_with_cart(intent_id)
        order = payment.order
        if payment.status == PaymentStatus.SUCCEEDED:
            return order, payment
        if amount is not None and (amount != payment.amount or (currency or "").upper() != payment.currency):
            record_event(order, OrderEventType.AMOUNT_MISMATCH, before=order.status,
                         data={"intent_id": intent_id, "amount": str(amount), "currency": currency})
            return order, payment
        payment.status = PaymentStatus.SUCCEEDED
        if order.is_paid or (cart is not None and cart.checked_out_at is not None):
            payment.save(update_fields=["status", "updated_at"])
            # A second successful payment for a paid order or for a cart another order already bought
            # (the buyer paid twice, or paid a replaced checkout late): give it back.
            record_event(order, OrderEventType.DUPLICATE_PAYMENT, before=order.status, data={"intent_id": intent_id})
            transaction.on_commit(lambda: _refund_in_full(payment.pk, "duplicate payment"))
            return order, payment
        lines = _take_stock_or_cancel(order, payment)
        if order.status == OrderStatus.PAID:
            # What the paid order tells others and the cart's closing are one batch too: order_paid's receivers
            # read no row it writes (the report's dirty day), and the cart's stamp reads only other orders.
            with write_batches.batched_writes():
                _announce_paid(order, lines)
                replaced_order_ids = _close_cart(cart, paid_order=order) if cart is not None else []
            if replaced_order_ids:
                transaction.on_commit(lambda: cancel_open_intents(replaced_order_ids))
    if order.status == OrderStatus.PAID and payment.amount_refunded > 0:
        # A refund event that arrived before this one.
        record_refund_total(intent_id, amount_refunded=payment.amount_refunded, force=True)
        order.refresh_from_db()
        payment.refresh_from_db()
    return order, payment


def _cancel_late_payment(order: Order, payment: Payment, *, before: str, event: str, data: dict,
                         reason: str) -> None:
    """A payment that arrived after the order's hold expired and may not be honoured: the order stays cancelled
    and the payment is refunded in full after the commit."""
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    record_event(order, event, before=before, after=order.status, data={"intent_id": payment.intent_id, **data})
    events.order_cancelled.send(order=order)
    transaction.on_commit(lambda: _refund_in_full(payment.pk, reason))


def _take_stock_or_cancel(order: Order, payment: Payment) -> list[OrderLine]:
    """Mark ``payment`` succeeded and its order paid, taking the units off the shelf, or cancel the order (its
    payment refunded) when the stock or a price lapsed. Returns the order's lines.

    The writes of a paid order are one statement on PostgreSQL (``write_batches``): every read comes first, the
    payment, order and stock rows are locked already, and nothing is announced until they are sent."""
    now = timezone.now()
    with write_batches.batched_writes():
        payment.updated_at = now
        _set_payment_status(payment_id=payment.pk, status=payment.status, updated_at=payment.updated_at)
        # Kept on the order (as a prefetch would), so the answer shows them without reading them again.
        lines = _compiled_order_lines_of(order_id=order.pk)
        _attach_lines(order, lines)
        voucher_refusal = voucher_lapsed(order, now=now)  # the voucher row locks before promotion rows,
        lapsed = lapsed_promotion_lines(order, lines, now=now)  # and promotion rows before stock rows
        needed: dict[int, int] = {}
        for line in lines:
            if line.variant_id is not None:
                needed[line.variant_id] = needed.get(line.variant_id, 0) + line.quantity
        locked = lock_stock(sorted(needed), now=now, exclude_order_id=order.pk)
        short = [
            variant_id for variant_id, quantity in needed.items()
            if variant_id not in locked or locked[variant_id].on_hand - locked[variant_id].reserved_by_others < quantity
        ]
        product_ids = sorted({line.variant_product_id for line in lines if line.variant_id is not None})
        release_reservations(order, variant_ids=list(needed), product_ids=product_ids)  # holds are made from lines
        before = order.status
        refusal = _refusal(order, short=short, lines=lines, lapsed=lapsed, voucher_refusal=voucher_refusal)
        if refusal is None:
            take_sold_stock(needed, locked=locked, product_ids=product_ids)
            order.status, order.paid_at, order.updated_at = OrderStatus.PAID, now, now
            _set_order_paid(order_id=order.pk, status=order.status, paid_at=order.paid_at,
                            updated_at=order.updated_at)
            record_event(order, OrderEventType.PAID, before=before, after=order.status,
                         data={"intent_id": payment.intent_id, "amount": str(payment.amount),
                               "currency": payment.currency})
            if order.cart_id is not None:
                _delete_paid_cart_lines(cart_id=order.cart_id, variant_ids=list(needed))
    if refusal is not None:
        event, data, reason = refusal
        _cancel_late_payment(order, payment, before=before, event=event, data=data, reason=reason)
    return lines


def _refusal(order: Order, *, short: list[int], lines: list[OrderLine], lapsed: list,
             voucher_refusal: str | None) -> tuple[str, dict, str] | None:
    """Why a paid order can't be honoured, as its cancellation's (event, data, refund reason), or None: stock short
    (or a line whose variant is gone), a promotional price lapsed, the voucher used up or ended."""
    if short or any(line.variant_id is None for line in lines):
        return OrderEventType.STOCK_SHORTFALL, {"variant_ids": short}, "out of stock after the hold expired"
    if lapsed:
        return (OrderEventType.PROMOTION_LAPSED,
                {"lines": [{"sku": item.line.sku, "promotion_id": item.line.promotion_id, "refusal": item.refusal}
                           for item in lapsed]},
                "the promotional price lapsed before payment")
    if voucher_refusal:
        return (OrderEventType.VOUCHER_LAPSED, {"voucher_id": order.voucher_id, "refusal": voucher_refusal},
                "the voucher was used up or ended before payment")
    return None


def _announce_paid(order: Order, lines: list[OrderLine]) -> None:
    events.order_paid.send(order=order, lines=lines)
    issue_voucher_remainder(order)  # a reward voucher's unused rest, once
    notify_buyer(order, kind=OrderNotificationKind.CONFIRMATION)


def _attach_lines(order: Order, lines: list[OrderLine]) -> None:
    """``order.lines.all()`` answers ``lines`` without a query, as after ``prefetch_related("lines")``."""
    for line in lines:
        OrderLine.order.field.set_cached_value(line, order)
    # A further filter on it still asks the database, for this order's lines. The filter is built only then, as
    # Django's related managers defer theirs: every payment pays for building one otherwise (a tenth of its
    # ``_take_stock_or_cancel``), and the buyer's answer reads the lines as they are.
    attach_prefetched(order, "lines", lines, queryset=OrderLine.objects.all(), order_id=order.pk)


def _close_cart(cart: Cart, *, paid_order: Order) -> list[int]:
    """The cart has bought: no new checkout from it, and checkouts restarted before this payment end."""
    if not _check_out_cart(cart, paid_order=paid_order):
        return []  # no other pending order: nothing to read and cancel
    others = list(Order.objects.select_for_update().filter(cart=cart, status=OrderStatus.PENDING)
                  .exclude(pk=paid_order.pk).order_by("pk"))
    return cancel_pending_orders(others, reason=f"cart paid by order {paid_order.number}")


def _check_out_cart(cart: Cart, *, paid_order: Order) -> int:
    """Stamps the cart checked out and answers, in the same statement, how many of its other orders are pending.
    The cart is locked already, so the count sees every order placed from it, by any release of the code (an
    earlier one placed orders without counting them in ``Cart.checkouts_started``)."""
    now = Cart._meta.get_field("checked_out_at").get_db_prep_value(timezone.now(), connection)
    # Sent with the writes its caller's batch has pending (the report's dirty day), in one statement. Its count's
    # snapshot may be older than a wait on those writes (a concurrent payment's dirty day), but the cart has been
    # locked since before it: no order of this cart commits meanwhile, and one cancelled meanwhile is read again
    # under its lock below (status pending) before anything is done to it.
    sql = built_once(connection, ("check out cart",), _check_out_cart_sql)  # it names only columns
    [(pending,)] = write_batches.execute_after_pending(
        sql, [now, cart.pk, cart.pk, OrderStatus.PENDING.value, paid_order.pk],
        tables=[Cart._meta.db_table, Order._meta.db_table])
    return pending


def _check_out_cart_sql(quote: Quote, vendor: str) -> str:
    cart_column = Order._meta.get_field("cart").column
    stamped, status = Cart._meta.get_field("checked_out_at").column, Order._meta.get_field("status").column
    return (f"UPDATE {quote(Cart._meta.db_table)} SET {quote(stamped)} = %s WHERE {quote(Cart._meta.pk.column)} = %s "
            f"RETURNING (SELECT COUNT(*) FROM {quote(Order._meta.db_table)} WHERE {quote(cart_column)} = %s "
            f"AND {quote(status)} = %s AND {quote(Order._meta.pk.column)} <> %s)")


def buyer_payment(payments: list[Payment]) -> Payment | None:
    """The payment a buyer's view of an order shows: the one that paid it, else the latest attempt."""
    succeeded = [payment for payment in payments if payment.status == PaymentStatus.SUCCEEDED]
    return min(succeeded, key=lambda payment: payment.pk) if succeeded else max(
        payments, key=lambda payment: payment.pk, default=None)


def is_payable(order: Order, payment: Payment | None, *, now: datetime | None = None) -> bool:
    """The buyer may still complete ``payment``: the order is pending, its hold not over, the intent open.

    Only then does anyone see the intent's client secret.
    """
    now = now or timezone.now()
    return (
        payment is not None and payment.gateway != "free"
        and payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED)
        and order.status == OrderStatus.PENDING
        and (order.reserved_until is None or order.reserved_until > now)
    )


def _refund_in_full(payment_id: int, reason: str) -> None:
    try:
        refund_payment_in_full(Payment.objects.get(pk=payment_id), reason=reason)
    except Exception:  # noqa: BLE001 - logged for staff; the order's audit trail shows the shortfall
        logger.exception("Automatic refund of payment %s failed.", payment_id)


def record_payment_failure(intent_id: str, *, message: str = "") -> Payment:
    """A failed attempt leaves the order pending: the buyer may retry until the hold expires."""
    with transaction.atomic():
        payment = lock_payment(intent_id)
        if payment.status != PaymentStatus.PENDING:
            return payment  # already succeeded (events out of order), failed or cancelled
        payment.status = PaymentStatus.FAILED
        payment.failure_message = message[:300]
        payment.save(update_fields=["status", "failure_message", "updated_at"])
        record_event(payment.order, OrderEventType.PAYMENT_FAILED, before=payment.order.status,
                     data={"intent_id": intent_id, "message": message[:300]})
    return payment


def cancel_open_intents(order_ids: list[int]) -> None:
    """Cancel the gateway intents of cancelled orders so a late payment can't go through.

    Runs outside any transaction. A failure (the intent already succeeded, the network) is only
    logged: a late success is then handled by ``complete_checkout``.
    """
    payments = Payment.objects.filter(
        order_id__in=order_ids, status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED]
    ).exclude(gateway="free")
    for payment in payments:
        try:
            get_gateway(payment.gateway).cancel_intent(
                payment.intent_id, idempotency_key=f"kolshop-cancel-{payment.intent_id}"
            )
        except (PaymentGatewayError, ValueError) as error:
            logger.warning("Could not cancel payment intent %s: %s", payment.intent_id, error)
            continue
        Payment.objects.filter(pk=payment.pk, status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED]).update(
            status=PaymentStatus.CANCELLED, updated_at=timezone.now()
        )
