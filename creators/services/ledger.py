"""The commission ledger: accrue when paid, reverse on refunds and lost disputes, lock after the return window.

Every write locks the order row first (``select_for_update``), the same row the shop locks when it
changes an order, so a refund and the locking task can't interleave on one line. Writes are
idempotent through the ledger's unique (order line, kind, source_ref): a retried event finds its
entries and adds nothing.

Reversals are cumulative, so rounding never drifts: after each refund a line's commission is
``rate × (net − refunded so far)`` rounded to the currency's minor unit (``quantize_minor``: whole yen in
JPY) and the reversal is whatever brings it there.

A reseller line (sold from a storefront listing at the creator's own price) earns its listing's creator
the line's margin snapshot instead of a commission: the same accrual (``rate`` empty), locked after the same
return window and paid by the same payout runs. The ledger is the only thing that pays a margin. A refund
or a lost dispute reverses exactly the ``margin_part`` of the shop's split of that cause
(``shop.services.supply_splits``): the ledger reads the split, it does not compute a second figure.

Disputes: opening one reverses nothing (Stripe gives the money back when the shop wins). While a dispute
is open the order's earnings are held: they stay pending and the return-window lock skips them, so they
are not paid out. A lost dispute (``order_chargeback``) reverses what the dispute took of each line, by
the split's amounts (commissions: rate × the line's part; margins: the margin part); a won one only ends
the hold. Earnings already locked when the dispute opened stay locked (a loss then enters as a negative
lock, set against the next payout).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from creators.models import EntryKind, LedgerEntry
from creators.services.attribution import attribute_order, names_a_creator
from creators.services.commissions import choose_rate, rules_in_force
from shop.models import Order, OrderLine, Refund, SupplyLineSplit, SupplyMode
from shop.money import quantize, quantize_minor
from shop.services.disputes import held_order_ids
from shop.services.listing_prices import sells_at_margin
from shop.services.supply_splits import (
    dispute_source, dispute_splits, refund_source, refund_splits, taken_by_causes,
)

ZERO = Decimal("0.00")
PAID_REF = "paid"
WINDOW_LOCK_REF = "window"

log = structlog.get_logger(__name__)


def _write(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """Append entries and log each. A retried event writes nothing twice (the database ignores the
    duplicate), though its entries are logged again: the log says what was recorded, not what is new."""
    written = LedgerEntry.objects.bulk_create(entries, ignore_conflicts=True)
    for entry in written:
        log.info("ledger entry recorded", kind=entry.kind, creator_id=entry.creator_id, order_id=entry.order_id,
                 order_line_id=entry.order_line_id, amount=str(entry.amount), currency=entry.currency,
                 source_ref=entry.source_ref)
    return written


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: Decimal
    locked: Decimal
    paid: Decimal

    @property
    def earned(self) -> Decimal:
        return self.pending + self.locked + self.paid


@dataclass
class _LineState:
    """One line's ledger so far (loaded in one query for all lines of an order)."""

    accrual: LedgerEntry | None = None
    earned: Decimal = ZERO
    locked: Decimal = ZERO
    locked_by_window: bool = False
    refs: set = None

    def __post_init__(self):
        self.refs = set()


def return_window() -> timedelta:
    return timedelta(days=settings.KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS)


def _lock_order(order_id: int) -> None:
    Order.objects.select_for_update().filter(pk=order_id).order_by("pk").first()


def _line_states(line_ids: list[int]) -> dict[int, _LineState]:
    states: dict[int, _LineState] = defaultdict(_LineState)
    for entry in LedgerEntry.objects.filter(order_line_id__in=line_ids).order_by("pk"):
        state = states[entry.order_line_id]
        state.refs.add((entry.kind, entry.source_ref))
        if entry.kind == EntryKind.ACCRUAL:
            state.accrual = entry
        if entry.kind in (EntryKind.ACCRUAL, EntryKind.REVERSAL):
            state.earned += entry.amount
        if entry.kind == EntryKind.LOCK:
            state.locked += entry.amount
            state.locked_by_window = state.locked_by_window or entry.source_ref == WINDOW_LOCK_REF
    return states


def _entry(accrual: LedgerEntry, *, kind: str, amount: Decimal, source_ref: str, at: datetime,
           base_amount: Decimal | None = None) -> LedgerEntry:
    return LedgerEntry(
        creator_id=accrual.creator_id, kind=kind, amount=amount, currency=accrual.currency,
        order_id=accrual.order_id, order_line_id=accrual.order_line_id, page_id=accrual.page_id,
        block_id=accrual.block_id, source_ref=source_ref, rate=accrual.rate, base_amount=base_amount,
        effective_at=at,
    )


@transaction.atomic(savepoint=False)  # the shop's order_paid runs it inside its transaction: all or nothing
def accrue_commission(order: Order, *, now: datetime | None = None,
                      locked_lines: list[OrderLine] | None = None) -> list[LedgerEntry]:
    """Pending commission for every line of a paid order whose creator earns on it, and the margin of
    every reseller line for its listing's creator.

    ``locked_lines``: the order's lines, passed by a caller that holds the order's lock and read them
    under it (the shop's ``order_paid``); the order is then used as passed, else locked and read again."""
    now = now or timezone.now()
    if locked_lines is None:
        order = Order.objects.select_for_update().get(pk=order.pk)  # locked, and read as it is now
    if not order.is_paid:
        return []
    paid_at = order.paid_at or now
    margins = _margin_accruals(order, at=paid_at)
    if locked_lines is not None and not names_a_creator(order, locked_lines):
        return _write(margins)  # nobody earns, and placement stored the decisions: no read of them
    earners = {a.order_line_id: a for a in attribute_order(order, now=now, lines=locked_lines) if a.earns_commission}
    if not earners:
        return _write(margins)
    states = _line_states(list(earners))
    lines = [line for line in OrderLine.objects.filter(pk__in=list(earners)).select_related("variant", "listing__offer")
             .order_by("pk") if states[line.pk].accrual is None and not sells_at_margin(line)]
    rules = rules_in_force(
        creator_ids={earners[line.pk].creator_id for line in lines}, brand_ids={line.brand_id for line in lines},
        product_ids={line.variant.product_id for line in lines if line.variant is not None}, at=paid_at,
    )
    entries = []
    for line in lines:
        attribution = earners[line.pk]
        product_id = line.variant.product_id if line.variant is not None else None
        rate = choose_rate(rules, creator=attribution.creator, brand_id=line.brand_id, product_id=product_id).rate
        entries.append(LedgerEntry(
            creator_id=attribution.creator_id, kind=EntryKind.ACCRUAL,
            amount=quantize_minor(rate * line.line_total, line.currency), currency=line.currency, order_id=order.pk, order_line_id=line.pk, page_id=attribution.page_id,
            block_id=attribution.block_id, source_ref=PAID_REF, rate=rate, base_amount=line.line_total,
            effective_at=paid_at,
        ))
    return _write(margins + entries)


def _margin_accruals(order: Order, *, at: datetime) -> list[LedgerEntry]:
    """The margin of each reseller line, for its listing's creator (orders without listing lines: no query).

    Written under ``PAID_REF`` like a commission, so the ledger's unique (line, kind, source_ref) lets a
    line accrue once, whichever way: a retried event adds nothing."""
    if not order.sells_supply:
        return []
    lines = OrderLine.objects.filter(order=order, listing__offer__mode=SupplyMode.RESELLER, creator_margin__gt=0,
                                     line_total__gt=0).select_related("listing").order_by("pk")
    lines = lines.exclude(pk__in=LedgerEntry.objects.filter(order_id=order.pk, kind=EntryKind.ACCRUAL)
                          .values("order_line_id"))
    return [
        LedgerEntry(creator_id=line.listing.creator_id, kind=EntryKind.ACCRUAL, amount=line.creator_margin,
                    currency=line.currency, order_id=order.pk, order_line_id=line.pk, source_ref=PAID_REF,
                    rate=None, base_amount=line.line_total, effective_at=at)
        for line in lines
    ]


def _reverse(order: Order, bases: dict[int, Decimal], margins: dict[int, Decimal], *, source_ref: str,
             now: datetime) -> list[LedgerEntry]:
    """``bases``: line id → net amount this cause took back of the line; ``margins``: line id → the margin part
    of the shop's split of it (read for margin accruals, which have no rate)."""
    states = _line_states(list(bases))
    # What the causes already reversed took of each line (refunds' lines, lost disputes' splits).
    taken = taken_by_causes(order.pk, {ref for state in states.values() for kind, ref in state.refs
                                       if kind == EntryKind.REVERSAL})
    entries = []
    for line_id, amount in sorted(bases.items()):
        state = states.get(line_id)
        if state is None or state.accrual is None or (EntryKind.REVERSAL, source_ref) in state.refs:
            continue
        accrual = state.accrual
        remaining_base = max(ZERO, accrual.base_amount - taken.get(line_id, ZERO))
        base = min(amount, remaining_base)
        if accrual.rate is None:  # a margin: exactly the split's part
            reversal = -min(state.earned, margins.get(line_id, ZERO))
        else:  # cumulative, so rounding never drifts
            reversal = min(ZERO, quantize_minor(accrual.rate * (remaining_base - base), accrual.currency) - state.earned)
        entries.append(_entry(accrual, kind=EntryKind.REVERSAL, amount=reversal, source_ref=source_ref, at=now,
                              base_amount=base))
        if state.locked_by_window:
            # Already out of pending: take it out of the locked balance (negative once paid out).
            entries.append(_entry(accrual, kind=EntryKind.LOCK, amount=reversal, source_ref=source_ref, at=now))
    return _write(entries)


def _margins(splits: list[SupplyLineSplit]) -> dict[int, Decimal]:
    return {split.order_line_id: split.margin_part for split in splits}


@transaction.atomic
def reverse_commission_for_refund(order: Order, refund: Refund, *, now: datetime | None = None) -> list[LedgerEntry]:
    """Take back commission in proportion to the net amount each refunded line gave back, and each margin's
    part of the refund's split."""
    _lock_order(order.pk)
    source_ref = refund_source(refund)
    return _reverse(order, taken_by_causes(order.pk, [source_ref]), _margins(refund_splits(order, refund)),
                    source_ref=source_ref, now=now or timezone.now())


@transaction.atomic
def reverse_commission_for_dispute(order: Order, *, dispute_id: str, amount: Decimal,
                                   now: datetime | None = None) -> list[LedgerEntry]:
    """A lost dispute took ``amount`` of the payment: each line's commission and margin come down by what the
    shop's split of the dispute says it took of the line (``dispute_splits``, recorded once per dispute)."""
    _lock_order(order.pk)
    splits = dispute_splits(order, dispute_id=dispute_id, amount=amount)
    return _reverse(order, {split.order_line_id: split.amount for split in splits}, _margins(splits),
                    source_ref=dispute_source(dispute_id), now=now or timezone.now())


def lock_matured_commissions(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Lock the pending commission of lines paid more than the return window ago, except those of orders with
    any dispute open (held: ``shop.services.disputes.held_order_ids``); returns lines locked."""
    now = now or timezone.now()
    cutoff = now - return_window()
    locked = 0
    while True:
        already = LedgerEntry.objects.filter(kind=EntryKind.LOCK, source_ref=WINDOW_LOCK_REF).values("order_line_id")
        batch = list(
            LedgerEntry.objects.filter(kind=EntryKind.ACCRUAL, effective_at__lte=cutoff)
            .exclude(order_line_id__in=already).exclude(order_id__in=held_order_ids())
            .order_by("order_id", "order_line_id")
            .values_list("order_id", "order_line_id")[:batch_size]
        )
        if not batch:
            return locked
        locked += _lock_lines(batch, now=now)


@transaction.atomic
def _lock_lines(batch: list[tuple[int, int]], *, now: datetime) -> int:
    list(Order.objects.select_for_update().filter(pk__in={order_id for order_id, _ in batch}).order_by("pk"))
    states = _line_states([line_id for _, line_id in batch])
    entries = []
    for _, line_id in batch:
        state = states[line_id]
        if state.locked_by_window or state.accrual is None:
            continue
        pending = state.earned - state.locked
        entries.append(_entry(state.accrual, kind=EntryKind.LOCK, amount=pending, source_ref=WINDOW_LOCK_REF, at=now))
    _write(entries)
    return len(entries)


def _kind_sum(kind: str) -> Coalesce:
    money = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Sum("amount", filter=Q(kind=kind)), Value(ZERO), output_field=money)


def balances_by_creator(entries=None) -> dict[tuple[int, str], Balance]:
    """{(creator id, currency): Balance} from the ledger, in one aggregate query."""
    entries = LedgerEntry.objects.all() if entries is None else entries
    rows = entries.order_by().values("creator_id", "currency").annotate(
        accrued=_kind_sum(EntryKind.ACCRUAL), reversed=_kind_sum(EntryKind.REVERSAL),
        locks=_kind_sum(EntryKind.LOCK), payouts=_kind_sum(EntryKind.PAYOUT),
    )
    return {
        (row["creator_id"], row["currency"]): Balance(
            currency=row["currency"],
            pending=quantize(row["accrued"] + row["reversed"] - row["locks"]),
            locked=quantize(row["locks"] - row["payouts"]),
            paid=quantize(row["payouts"]),
        )
        for row in rows
    }


def creator_balances(creator_id: int) -> dict[str, Balance]:
    """{currency: Balance} for one creator."""
    return {currency: balance for (_, currency), balance
            in balances_by_creator(LedgerEntry.objects.filter(creator_id=creator_id)).items()}

