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

from readers.models import Reader, RewardEntry, RewardEntryKind, RewardRefusal
from readers.services.share_attribution import refusal_reason, reward_base, share_click_for
from shop.errors import Conflict
from shop.models import Order, OrderLine, Refund, Voucher, VoucherKind
from shop.money import quantize
from shop.services.locks import lock_for_transaction

ZERO = Decimal("0.00")
PAID_REF = "paid"
WINDOW_LOCK_REF = "window"
DISPUTE_REF = "dispute"

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RewardBalance:
    currency: str
    pending: Decimal
    available: Decimal
    redeemed: Decimal


def reward_rate() -> Decimal:
    return Decimal(str(settings.KOLSHOP_READER_REWARD_RATE))


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
def accrue_reward(order: Order, *, now: datetime | None = None) -> RewardEntry | RewardRefusal | None:
    """The reward for the first share that led to this paid order, or the refusal recorded instead.

    One buyer's orders are decided one at a time (a lock on the buyer identity), so two concurrent
    orders through two sharers' links can't both pass the new-buyer rule."""
    now = now or timezone.now()
    if order.referral_click_id is None and not OrderLine.objects.filter(
            order_id=order.pk, click_id__isnull=False).exists():
        return None  # no referral and no click on any line: no share led here; one query per paid order
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
    rate, base = reward_rate(), reward_base(order)
    entry = RewardEntry(reader=credit.sharer, kind=RewardEntryKind.ACCRUAL, amount=quantize(rate * base),
                        currency=order.currency, order_id=order.pk, link_id=credit.click.link_id,
                        click_id=credit.click.pk, source_ref=PAID_REF, rate=rate, base_amount=base,
                        effective_at=order.paid_at or now)
    _write([entry])
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


def _reverse(order_id: int, amount: Decimal | None, *, source_ref: str, now: datetime) -> list[RewardEntry]:
    """Take back the reward in proportion to ``amount`` of its base given back (None: all that is left)."""
    accrual, earned, refunded, window_locked, refs = _order_state(order_id)
    if accrual is None or (RewardEntryKind.REVERSAL, source_ref) in refs:
        return []
    remaining = accrual.base_amount - refunded
    base = remaining if amount is None else min(amount, remaining)
    reversal = -earned if amount is None else min(ZERO, quantize(accrual.rate * (remaining - base)) - earned)
    entries = [_follow_up(accrual, kind=RewardEntryKind.REVERSAL, amount=reversal, source_ref=source_ref, at=now,
                          base_amount=base)]
    if window_locked:  # already available: take it out of the available balance (negative once redeemed)
        entries.append(_follow_up(accrual, kind=RewardEntryKind.LOCK, amount=reversal, source_ref=source_ref, at=now))
    return _write(entries)


@transaction.atomic
def reverse_reward_for_refund(order: Order, refund: Refund, *, now: datetime | None = None) -> list[RewardEntry]:
    Order.objects.select_for_update().filter(pk=order.pk).first()
    amount = sum((line.amount for line in refund.lines.all()), ZERO)
    return _reverse(order.pk, amount, source_ref=f"refund:{refund.pk}", now=now or timezone.now())


@transaction.atomic
def reverse_reward_for_dispute(order: Order, *, now: datetime | None = None) -> list[RewardEntry]:
    Order.objects.select_for_update().filter(pk=order.pk).first()
    return _reverse(order.pk, None, source_ref=DISPUTE_REF, now=now or timezone.now())


def lock_matured_rewards(*, now: datetime | None = None) -> int:
    """Lock the pending reward of orders paid more than the return window ago; returns orders locked."""
    now = now or timezone.now()
    already = RewardEntry.objects.filter(kind=RewardEntryKind.LOCK, source_ref=WINDOW_LOCK_REF).values("order_id")
    order_ids = list(RewardEntry.objects.filter(kind=RewardEntryKind.ACCRUAL, effective_at__lte=now - reward_return_window())
                     .exclude(order_id__in=already).order_by("order_id").values_list("order_id", flat=True))
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
        currency=currency, usage_limit=1, per_buyer_limit=1, valid_from=now,
    )
    _write([RewardEntry(reader=reader, kind=RewardEntryKind.REDEMPTION, amount=balance.available, currency=currency,
                        source_ref=f"voucher:{voucher.code}", effective_at=now)])
    return voucher
