"""Settling a paid storefront order: a payable per brand (wholesale), cut back by refunds.

When an order is paid (``events.order_paid``, inside the payment's transaction) ``record_supply_payables``
writes one ``SupplyTransfer`` per brand, summed from the order lines' wholesale snapshots; the unique
(order, payee) makes a repeated event write nothing. After the commit ``pay_supply_transfers`` pays
each by its own Stripe Connect transfer in the order's transfer group (``kolshop-order-<number>``),
never under a row lock. A transfer that fails stays ``failed`` and is retried (``retry_supply_transfers``,
the scheduled job of the same name) under the same idempotency key, so Stripe answers a retry of a
transfer that did go through with that transfer instead of making a second.

The creator's margin is not a transfer: the creator ledger accrues it on payment and pays it with the
creator's payout run after the return window (``creators.services.ledger``), so it is paid once.

A refund (``events.order_refunded``) takes back each brand's share of what it refunded, line by line
and cumulatively (``brand_share_left``), as a ``SupplyTransferReversal``: netted off a transfer not yet
attempted, or recorded to be recovered once the transfer's key was used (its amount can't change).
"""

from collections import defaultdict
from decimal import Decimal

import structlog
from django.db import transaction
from django.db.models import Q, Sum

from shop import events
from shop.models import (
    Brand, Order, PayeeKind, Refund, SupplyReversalStatus, SupplyTransfer, SupplyTransferReversal, SupplyTransferStatus,
)
from shop.models.orders import OrderLine
from shop.models.payments import RefundLine, RefundStatus
from shop.money import quantize, to_minor_units
from shop.payments import stripe_api
from shop.payments.gateway import PaymentGatewayError

log = structlog.get_logger(__name__)


def transfer_group_of(order: Order) -> str:
    return f"kolshop-order-{order.number}"


def record_supply_payables(*, order: Order, **_payload) -> list[SupplyTransfer]:
    """One payable per brand (wholesale) of the order's listing lines; idempotent.

    Orders without listing lines (``sells_supply`` false, set at checkout) cost no query."""
    if not order.sells_supply:
        return []
    owed: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for line in OrderLine.objects.filter(order=order, listing__isnull=False).order_by("pk"):
        owed[(PayeeKind.BRAND, line.brand_id)] += line.wholesale_amount
    rows = [
        SupplyTransfer(order=order, payee_kind=kind, payee_id=payee_id, amount=amount, currency=order.currency,
                       transfer_group=transfer_group_of(order),
                       idempotency_key=f"kolshop-supply-{order.number}-{kind}-{payee_id}")
        for (kind, payee_id), amount in sorted(owed.items()) if amount > 0
    ]
    if rows:
        SupplyTransfer.objects.bulk_create(rows, ignore_conflicts=True)
        order_id = order.pk
        transaction.on_commit(lambda: pay_supply_transfers(order_id=order_id))
    return rows


def _destination(transfer: SupplyTransfer) -> str:
    return Brand.objects.filter(pk=transfer.payee_id).values_list("stripe_account_id", flat=True).first() or ""


@transaction.atomic
def _start_attempt(transfer_id: int) -> tuple[SupplyTransfer, Decimal] | None:
    """Count the attempt under the row lock (from here a refund can't net it any more); the amount to send."""
    transfer = SupplyTransfer.objects.select_for_update().get(pk=transfer_id)
    if transfer.status in (SupplyTransferStatus.PAID, SupplyTransferStatus.CANCELLED):
        return None
    netted = sum(transfer.reversals.filter(status=SupplyReversalStatus.NETTED).values_list("amount", flat=True),
                 Decimal("0.00"))
    if transfer.attempts == 0 and transfer.amount - netted <= 0:
        transfer.status = SupplyTransferStatus.CANCELLED
        transfer.save(update_fields=["status", "updated_at"])
        return None
    transfer.attempts += 1
    transfer.save(update_fields=["attempts", "updated_at"])
    return transfer, transfer.amount - netted


def _pay(transfer: SupplyTransfer) -> SupplyTransfer:
    """One attempt, outside any transaction; the row records the outcome.

    A retry sends what the first attempt sent (netting stops at the first attempt), so the same
    idempotency key always carries the same amount."""
    started = _start_attempt(transfer.pk)
    if started is None:
        transfer.refresh_from_db()
        return transfer
    transfer, amount = started
    destination = _destination(transfer)
    try:
        if not destination:
            raise PaymentGatewayError("The payee has no connected Stripe account yet.", code="no_account")
        transfer_id = stripe_api.create_transfer(
            amount_minor=to_minor_units(amount, transfer.currency), currency=transfer.currency,
            destination=destination, transfer_group=transfer.transfer_group,
            idempotency_key=transfer.idempotency_key,
            metadata={"order": transfer.transfer_group, "payee": f"{transfer.payee_kind}:{transfer.payee_id}"},
        )
    except PaymentGatewayError as error:
        failure = f"{error.code}: {getattr(error, 'provider_message', '') or error.message}"[:300]
        SupplyTransfer.objects.filter(pk=transfer.pk).update(status=SupplyTransferStatus.FAILED,
                                                             failure_message=failure)
        log.warning("supply transfer failed", transfer_id=transfer.pk, failure=failure)
    else:
        SupplyTransfer.objects.filter(pk=transfer.pk).update(status=SupplyTransferStatus.PAID, transfer_id=transfer_id,
                                                             failure_message="")
    transfer.refresh_from_db()
    return transfer


def pay_supply_transfers(*, order_id: int) -> list[SupplyTransfer]:
    """Pay the order's unpaid transfers (pending or failed), each with its own idempotency key."""
    open_ = SupplyTransfer.objects.filter(order_id=order_id).exclude(status=SupplyTransferStatus.PAID).order_by("pk")
    return [_pay(transfer) for transfer in open_]


def retry_supply_transfers() -> list[SupplyTransfer]:
    """Every failed or stuck transfer again, under the key it was first tried with (a scheduled task may call it)."""
    open_ = SupplyTransfer.objects.filter(Q(status=SupplyTransferStatus.FAILED) | Q(status=SupplyTransferStatus.PENDING))
    return [_pay(transfer) for transfer in open_.order_by("pk")]


def brand_share_left(line: OrderLine, *, refunded: Decimal) -> Decimal:
    """The wholesale a brand is still owed for a line once ``refunded`` of its net went back to the buyer.

    Cumulative (computed from everything refunded so far), so parts always add up to the whole."""
    if line.line_total <= 0:
        return Decimal("0.00")
    return quantize(line.wholesale_amount * (line.line_total - min(refunded, line.line_total)) / line.line_total)


@transaction.atomic
def reverse_supply_payables(*, order: Order, refund: Refund | None = None, **_payload) -> list[SupplyTransferReversal]:
    """Take back each brand's share of a succeeded refund; idempotent per (transfer, refund).

    Every brand's payable is brought to the sum of ``brand_share_left`` over its lines given everything
    refunded so far, so the reversals of any sequence of refunds add up to the cent."""
    if refund is None or not order.sells_supply:
        return []
    transfers = {t.payee_id: t for t in SupplyTransfer.objects.select_for_update().filter(
        order=order, payee_kind=PayeeKind.BRAND).order_by("pk")}
    source_ref = f"refund:{refund.pk}"
    if not transfers or SupplyTransferReversal.objects.filter(transfer__in=transfers.values(),
                                                              source_ref=source_ref).exists():
        return []
    refunded: dict[int, Decimal] = defaultdict(Decimal)
    for line_id, amount in RefundLine.objects.filter(
            order_line__order=order, order_line__listing__isnull=False,
            refund__status=RefundStatus.SUCCEEDED).values_list("order_line_id", "amount"):
        refunded[line_id] += amount
    left: dict[int, Decimal] = defaultdict(Decimal)
    for line in OrderLine.objects.filter(order=order, listing__isnull=False).order_by("pk"):
        left[line.brand_id] += brand_share_left(line, refunded=refunded[line.pk])
    taken = dict(SupplyTransferReversal.objects.filter(transfer__in=transfers.values()).order_by()
                 .values_list("transfer_id").annotate(total=Sum("amount")))
    # Cumulative, like the ledger: this refund takes whatever brings the payable to what is left.
    reduction = {brand_id: transfer.amount - taken.get(transfer.pk, Decimal("0.00")) - left[brand_id]
                 for brand_id, transfer in transfers.items()}
    rows = [
        SupplyTransferReversal(
            transfer=transfers[brand_id], source_ref=source_ref, amount=amount, currency=transfers[brand_id].currency,
            status=(SupplyReversalStatus.NETTED if transfers[brand_id].attempts == 0
                    else SupplyReversalStatus.TO_RECOVER))
        for brand_id, amount in sorted(reduction.items()) if amount > 0 and brand_id in transfers
    ]
    return SupplyTransferReversal.objects.bulk_create(rows)


def connect_settlement() -> None:
    events.order_paid.connect(record_supply_payables)
    events.order_refunded.connect(reverse_supply_payables)
