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

A refund (``events.order_refunded``) and a lost dispute (``events.order_chargeback``: closed as lost, never
funds withdrawn, which a won dispute undoes) take money back by one rule (``take_back_supply_shares``): each
line's part is split into the brand's, the creator's and the platform's shares
(``shop.services.supply_splits``, recorded once per cause as ``SupplyLineSplit``), and each brand's part
becomes a ``SupplyTransferReversal``: netted off a transfer not yet attempted, or, once the transfer's key
was used (its amount can't change), recovered from the brand by a Stripe transfer reversal under the
reversal's own idempotency key (``shop.services.supply_recovery``), after the commit and again by the
scheduled job.

An attempt marks its transfer ``sending`` under the row lock before calling Stripe, so a retry job
running at the same moment skips it instead of counting a second attempt; one left ``sending`` by a
crashed worker is picked up again after ``STALE_ATTEMPT``.
"""

from collections import defaultdict
from decimal import Decimal

import structlog
from django.db import transaction
from django.db.models import Q

from shop import events
from shop.models import (
    Brand, Order, PayeeKind, Refund, SupplyLineSplit, SupplyReversalStatus, SupplyTransfer, SupplyTransferReversal,
    SupplyTransferStatus,
)
from shop.models.orders import OrderLine
from shop.money import to_minor_units
from shop.payments import stripe_api
from shop.payments.gateway import PaymentGatewayError
from shop.services.supply_attempts import abandoned, count_attempt, in_flight
from shop.services.supply_recovery import recover_supply_reversals
from shop.services.supply_splits import dispute_source, dispute_splits, part_left, refund_source, refund_splits

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
    """Count the attempt and mark it in flight under the row lock (from here a refund can't net it any more,
    and a concurrent attempt skips it); the amount to send. None: nothing to send now."""
    transfer = SupplyTransfer.objects.select_for_update().get(pk=transfer_id)
    if transfer.status in (SupplyTransferStatus.PAID, SupplyTransferStatus.CANCELLED):
        return None
    if in_flight(transfer, SupplyTransferStatus.SENDING):
        return None  # another worker is sending it right now
    netted = sum(transfer.reversals.filter(status=SupplyReversalStatus.NETTED).values_list("amount", flat=True),
                 Decimal("0.00"))
    if transfer.attempts == 0 and transfer.amount - netted <= 0:
        transfer.status = SupplyTransferStatus.CANCELLED
        transfer.save(update_fields=["status", "updated_at"])
        return None
    count_attempt(transfer, SupplyTransferStatus.SENDING)
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
        recover_supply_reversals(transfer_id=transfer.pk)  # refunds that came while it was in flight
    transfer.refresh_from_db()
    return transfer


def pay_supply_transfers(*, order_id: int) -> list[SupplyTransfer]:
    """Pay the order's unpaid transfers (pending or failed), each with its own idempotency key."""
    open_ = SupplyTransfer.objects.filter(order_id=order_id).exclude(status=SupplyTransferStatus.PAID).order_by("pk")
    return [_pay(transfer) for transfer in open_]


def pay_supply_transfer(transfer_id: int) -> SupplyTransfer | None:
    """One transfer now (staff's "retry now"), under its first key; a paid or in-flight row is left as it is."""
    transfer = SupplyTransfer.objects.filter(pk=transfer_id).first()
    return _pay(transfer) if transfer is not None else None


def retry_supply_transfers() -> list[SupplyTransfer]:
    """Every failed, never tried or abandoned (``sending`` past ``STALE_ATTEMPT``) transfer again, under the key
    it was first tried with (the scheduled job); attempts in flight are left to their worker."""
    open_ = SupplyTransfer.objects.filter(
        Q(status__in=[SupplyTransferStatus.FAILED, SupplyTransferStatus.PENDING])
        | abandoned(SupplyTransferStatus.SENDING))
    return [_pay(transfer) for transfer in open_.order_by("pk")]


def brand_share_left(line: OrderLine, *, refunded: Decimal) -> Decimal:
    """The wholesale a brand is still owed for a line once ``refunded`` of its net went back to the buyer."""
    return part_left(line.wholesale_amount, line_total=line.line_total, taken=refunded, currency=line.currency)


@transaction.atomic
def take_back_supply_shares(*, order: Order, source_ref: str,
                            splits: list[SupplyLineSplit]) -> list[SupplyTransferReversal]:
    """Money went back from storefront lines for ``source_ref`` (a refund or a dispute), split per line
    (``splits``, recorded by ``shop.services.supply_splits``): take each brand's part off its payable;
    idempotent per cause (one reversal per transfer and cause)."""
    transfers = {t.payee_id: t for t in SupplyTransfer.objects.select_for_update().filter(
        order=order, payee_kind=PayeeKind.BRAND).order_by("pk")}
    if SupplyTransferReversal.objects.filter(transfer__order=order, source_ref=source_ref).exists():
        return []
    brands = dict(OrderLine.objects.filter(pk__in=[split.order_line_id for split in splits]).values_list("pk",
                                                                                                       "brand_id"))
    reduction: dict[int, Decimal] = defaultdict(Decimal)
    for split in splits:
        reduction[brands[split.order_line_id]] += split.wholesale_part
    rows = SupplyTransferReversal.objects.bulk_create([
        SupplyTransferReversal(
            transfer=transfers[brand_id], source_ref=source_ref, amount=amount, currency=transfers[brand_id].currency,
            status=(SupplyReversalStatus.NETTED if transfers[brand_id].attempts == 0
                    else SupplyReversalStatus.TO_RECOVER))
        for brand_id, amount in sorted(reduction.items()) if amount > 0 and brand_id in transfers
    ])
    if any(row.status == SupplyReversalStatus.TO_RECOVER for row in rows):
        order_id = order.pk
        transaction.on_commit(lambda: recover_supply_reversals(order_id=order_id))
    return rows


def reverse_supply_payables(*, order: Order, refund: Refund | None = None, **_payload) -> list[SupplyTransferReversal]:
    """A succeeded refund takes back each brand's share of what it refunded of each line."""
    if refund is None or not order.sells_supply:
        return []
    return take_back_supply_shares(order=order, source_ref=refund_source(refund), splits=refund_splits(order, refund))


def settle_chargeback(*, order: Order, dispute_id: str, amount: Decimal, **_payload) -> list[SupplyTransferReversal]:
    """A lost dispute that took ``amount`` of the payment brings the brands' payables down like a refund of that
    amount spread over the order's lines; once per dispute."""
    if not order.sells_supply:
        return []
    return take_back_supply_shares(order=order, source_ref=dispute_source(dispute_id),
                                   splits=dispute_splits(order, dispute_id=dispute_id, amount=amount))


def connect_settlement() -> None:
    events.order_paid.connect(record_supply_payables)
    events.order_refunded.connect(reverse_supply_payables)
    events.order_chargeback.connect(settle_chargeback)
