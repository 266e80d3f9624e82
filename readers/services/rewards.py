"""The sharers' rewards ledger: accrue when a shared order is paid, reverse on refunds and disputes,
lock after the return window, redeem a locked balance as a single-use voucher.

Mirrors ``creators.services.ledger`` (append-only entries, idempotent through a unique cause, order row
locked first, cumulative reversals so rounding never drifts) and never touches it: a creator's
commission on the same order is whatever it would be without the share. Single level only: a reward
is for the sharer of the click that led to the order, never for whoever shared to them.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from readers.models import Reader, RewardEntry, RewardEntryKind, RewardLine, RewardRate, RewardRefusal
from readers.services.share_attribution import refusal_reason, share_click_for
from shop.errors import Conflict
from shop.models import Order, OrderLine, Refund, Voucher, VoucherKind
from shop.money import quantize, quantize_minor
from shop.services.disputes import held_order_ids
from shop.services.locks import lock_for_transaction
from shop.services.supply_splits import dispute_source, dispute_splits, refund_source, taken_by_causes

ZERO = Decimal("0.00")
PAID_REF = "paid"
WINDOW_LOCK_REF = "window"

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RewardBalance:
    currency: str
    pending: Decimal
    available: Decimal
    redeemed: Decimal


def reward_rate() -> Decimal:
    """The default rate when staff set none (``KOLSHOP_READER_REWARD_RATE``)."""
    return Decimal(str(settings.KOLSHOP_READER_REWARD_RATE))


def reward_rates(brand_ids: set) -> dict:
    """{brand id: rate} for these brands, in one query: the brand's own ``RewardRate``, else the default
    row, else the setting."""
    rows = {brand_id: rate for brand_id, rate in RewardRate.objects.filter(
        Q(brand_id__in=[b for b in brand_ids if b is not None]) | Q(brand__isnull=True)).values_list("brand_id", "rate")}
    default = rows.get(None, reward_rate())
    return {brand_id: rows.get(brand_id, default) for brand_id in brand_ids}


def reward_lines(order: Order) -> list[RewardLine]:
    """Each line's part of the order's reward: its brand's rate and the goods paid for on it (the line
    total, the voucher discount already taken off), so Σ base = ``reward_base(order)``."""
    lines = list(OrderLine.objects.filter(order_id=order.pk).order_by("pk").values_list("pk", "brand_id", "line_total"))
    rates = reward_rates({brand_id for _, brand_id, _ in lines})
    return [RewardLine(order_id=order.pk, order_line_id=pk, brand_id=brand_id, rate=rates[brand_id], base_amount=total)
            for pk, brand_id, total in lines]


def line_rewards(lines: list[RewardLine], remaining: dict | None = None, *, currency: str) -> Decimal:
    """The reward on ``lines``: each line's rate times its base (or what ``remaining`` says is left of
    it), rounded per line to the currency's minor unit (whole yen in JPY), then summed."""
    return sum((quantize_minor(line.rate * (line.base_amount if remaining is None else remaining[line.order_line_id]),
                               currency) for line in lines), ZERO)


def reward_return_window() -> timedelta:
    return timedelta(days=settings.KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS)


def _write(entries: list[RewardEntry]) -> list[RewardEntry]:
    written = RewardEntry.objects.bulk_create(entries, ignore_conflicts=True)
    for entry in written:
        log.info("reward entry recorded", kind=entry.kind, reader_id=entry.reader_id, order_id=entry.order_id,
                 amount=str(entry.amount), currency=entry.currency, source_ref=entry.source_ref)
    return written


def _follow_up(accrual: RewardEntry, *, kind: str, amount: Decimal, source_ref: str, at: datetime,
               base_amount: Decimal | None = None) -> RewardEntry:
    return RewardEntry(reader_id=accrual.reader_id, kind=kind, amount=amount, currency=accrual.currency,
                       order_id=accrual.order_id, link_id=accrual.link_id, click_id=accrual.click_id,
                       source_ref=source_ref, rate=accrual.rate, base_amount=base_amount, effective_at=at)


@transaction.atomic(savepoint=False)  # inside the shop's order_paid transaction: all or nothing
def accrue_reward(order: Order, *, lines: list[OrderLine] | None = None, now: datetime | None = None) -> RewardEntry | RewardRefusal | None:
    """The reward for the first share that led to this paid order, or the refusal recorded instead.

    One buyer's orders are decided one at a time (a lock on the buyer identity), so two concurrent
    orders through two sharers' links can't both pass the new-buyer rule."""
    now = now or timezone.now()
    if order.referral_click_id is None and not (
            any(line.click_id is not None for line in lines) if lines is not None  # the lines the shop passed
            else OrderLine.objects.filter(order_id=order.pk, click_id__isnull=False).exists()):
        return None  # no referral and no click on any line: no share led here; at most one query per paid order
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.is_paid:
        return None
    lock_for_transaction(f"kolshop-reader-reward:{order.buyer_key}")
    done = (RewardEntry.objects.filter(order_id=order.pk, kind=RewardEntryKind.ACCRUAL).first()
            or RewardRefusal.objects.filter(order_id=order.pk).first())
    if done is not None:
        return done
    credit = share_click_for(order)
    if credit is None:
        return None
    reason = refusal_reason(order, credit, now=now)
    if reason is not None:
        refusal = RewardRefusal.objects.create(reader=credit.sharer, order_id=order.pk, link_id=credit.click.link_id,
                                               click_id=credit.click.pk, reason=reason, decided_at=now)
        log.info("reward refused", order_id=order.pk, reader_id=credit.sharer.pk, reason=reason)
        return refusal
    lines = reward_lines(order)
    rates = {line.rate for line in lines}
    entry = RewardEntry(reader=credit.sharer, kind=RewardEntryKind.ACCRUAL, amount=line_rewards(lines, currency=order.currency),
                        currency=order.currency, order_id=order.pk, link_id=credit.click.link_id,
                        click_id=credit.click.pk, source_ref=PAID_REF, rate=rates.pop() if len(rates) == 1 else None,
                        base_amount=sum((line.base_amount for line in lines), ZERO), effective_at=order.paid_at or now)
    _write([entry])
    RewardLine.objects.bulk_create(lines, ignore_conflicts=True)
    return entry


def _order_state(order_id: int) -> tuple[RewardEntry | None, Decimal, Decimal, bool, set]:
    """(accrual, earned so far, refunded base so far, locked by the window, causes recorded)."""
    accrual, earned, refunded, window_locked, refs = None, ZERO, ZERO, False, set()
    for entry in RewardEntry.objects.filter(order_id=order_id).order_by("pk"):
        refs.add((entry.kind, entry.source_ref))
        if entry.kind == RewardEntryKind.ACCRUAL:
            accrual = entry
        if entry.kind in (RewardEntryKind.ACCRUAL, RewardEntryKind.REVERSAL):
            earned += entry.amount
        if entry.kind == RewardEntryKind.REVERSAL:
            refunded += entry.base_amount or ZERO
        window_locked = window_locked or (entry.kind == RewardEntryKind.LOCK and entry.source_ref == WINDOW_LOCK_REF)
    return accrual, earned, refunded, window_locked, refs


def _reverse(order_id: int, refunded: dict | None, *, source_ref: str, now: datetime) -> list[RewardEntry]:
    """Take back the reward of what was given back: ``refunded`` {order line id: amount} (None: all that is
    left). Cumulative, per line at its own rate: after it, the order has earned exactly its lines' rewards
    on what is not refunded, so rounding never drifts."""
    accrual, earned, refunded_before, window_locked, refs = _order_state(order_id)
    if accrual is None or (RewardEntryKind.REVERSAL, source_ref) in refs:
        return []
    lines = list(RewardLine.objects.filter(order_id=order_id).order_by("pk"))
    if lines:  # what earlier refunds and lost disputes took of each line (the causes already reversed)
        taken = taken_by_causes(order_id, [ref for kind, ref in refs if kind == RewardEntryKind.REVERSAL])
        remaining = {line.order_line_id: max(ZERO, line.base_amount - taken.get(line.order_line_id, ZERO))
                     for line in lines}
    else:  # a reward accrued before rates per line: the order as one line at the accrual's rate
        lines = [RewardLine(order_line_id=0, rate=accrual.rate, base_amount=accrual.base_amount)]
        remaining = {0: accrual.base_amount - refunded_before}
        refunded = None if refunded is None else {0: sum(refunded.values(), ZERO)}
    before = dict(remaining)
    for line_id in remaining:
        if refunded is None:
            remaining[line_id] = ZERO
        elif line_id in refunded:
            remaining[line_id] = max(ZERO, remaining[line_id] - refunded[line_id])
    base = sum((before[line_id] - remaining[line_id] for line_id in remaining), ZERO)
    reversal = -earned if refunded is None else min(ZERO, line_rewards(lines, remaining, currency=accrual.currency) - earned)
    entries = [_follow_up(accrual, kind=RewardEntryKind.REVERSAL, amount=reversal, source_ref=source_ref, at=now,
                          base_amount=base)]
    if window_locked:  # already available: take it out of the available balance (negative once redeemed)
        entries.append(_follow_up(accrual, kind=RewardEntryKind.LOCK, amount=reversal, source_ref=source_ref, at=now))
    return _write(entries)


@transaction.atomic
def reverse_reward_for_refund(order: Order, refund: Refund, *, now: datetime | None = None) -> list[RewardEntry]:
    Order.objects.select_for_update().filter(pk=order.pk).first()
    source_ref = refund_source(refund)
    return _reverse(order.pk, taken_by_causes(order.pk, [source_ref]), source_ref=source_ref, now=now or timezone.now())


@transaction.atomic
def reverse_reward_for_dispute(order: Order, *, dispute_id: str, amount: Decimal,
                               now: datetime | None = None) -> list[RewardEntry]:
    """A lost dispute took ``amount`` of the payment: each line's reward comes down by what the shop's split of
    the dispute says it took of the line (``dispute_splits``, recorded once; the creator ledger reads the same
    rows). An open dispute reverses nothing: the reward is held (``lock_matured_rewards`` skips it) until the
    dispute closes; a won one leaves it as it was."""
    Order.objects.select_for_update().filter(pk=order.pk).first()
    splits = dispute_splits(order, dispute_id=dispute_id, amount=amount)  # one row per line the dispute took from
    return _reverse(order.pk, {split.order_line_id: split.amount for split in splits},
                    source_ref=dispute_source(dispute_id), now=now or timezone.now())


def lock_matured_rewards(*, now: datetime | None = None) -> int:
    """Lock the pending reward of orders paid more than the return window ago, except those with a dispute open
    (held, by the shop's rule ``shop.services.disputes.held_order_ids``, as the creator ledger is); returns
    orders locked."""
    now = now or timezone.now()
    already = RewardEntry.objects.filter(kind=RewardEntryKind.LOCK, source_ref=WINDOW_LOCK_REF).values("order_id")
    order_ids = list(RewardEntry.objects.filter(kind=RewardEntryKind.ACCRUAL, effective_at__lte=now - reward_return_window())
                     .exclude(order_id__in=already).exclude(order_id__in=held_order_ids())
                     .order_by("order_id").values_list("order_id", flat=True))
    locked = 0
    for order_id in order_ids:
        with transaction.atomic():
            Order.objects.select_for_update().filter(pk=order_id).first()
            accrual, earned, _, window_locked, _ = _order_state(order_id)
            if accrual is None or window_locked:
                continue
            pending = earned - sum(RewardEntry.objects.filter(order_id=order_id, kind=RewardEntryKind.LOCK)
                                   .values_list("amount", flat=True), ZERO)
            locked += len(_write([_follow_up(accrual, kind=RewardEntryKind.LOCK, amount=pending,
                                             source_ref=WINDOW_LOCK_REF, at=now)]))
    return locked


def _kind_sum(kind: str) -> Coalesce:
    return Coalesce(Sum("amount", filter=Q(kind=kind)), Value(ZERO),
                    output_field=DecimalField(max_digits=14, decimal_places=2))


def reward_balances(reader: Reader) -> dict[str, RewardBalance]:
    """{currency: RewardBalance} from the entries only, in one aggregate query."""
    rows = RewardEntry.objects.filter(reader=reader).order_by().values("currency").annotate(
        accrued=_kind_sum(RewardEntryKind.ACCRUAL), reversed=_kind_sum(RewardEntryKind.REVERSAL),
        locks=_kind_sum(RewardEntryKind.LOCK), redeemed=_kind_sum(RewardEntryKind.REDEMPTION))
    return {row["currency"]: RewardBalance(
        currency=row["currency"], pending=quantize(row["accrued"] + row["reversed"] - row["locks"]),
        available=quantize(row["locks"] - row["redeemed"]), redeemed=quantize(row["redeemed"]),
    ) for row in rows}


@transaction.atomic
def redeem_rewards(reader: Reader, *, currency: str, now: datetime | None = None) -> Voucher:
    """Turn the reader's whole available balance in ``currency`` into a single-use voucher for that amount."""
    now = now or timezone.now()
    Reader.objects.select_for_update().filter(pk=reader.pk).first()  # one redemption at a time per reader
    balance = reward_balances(reader).get(currency)
    if balance is None or balance.available <= ZERO:
        raise Conflict("No reward is available to redeem yet.", code="nothing_to_redeem", field="currency")
    voucher = Voucher.objects.create(
        code=f"SHARE-{secrets.token_hex(5).upper()}", kind=VoucherKind.FIXED, value=balance.available,
        currency=currency, usage_limit=1, per_buyer_limit=1, valid_from=now, reissue_unused=True,
    )
    _write([RewardEntry(reader=reader, kind=RewardEntryKind.REDEMPTION, amount=balance.available, currency=currency,
                        source_ref=f"voucher:{voucher.code}", effective_at=now)])
    return voucher
