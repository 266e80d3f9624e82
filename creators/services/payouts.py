"""Payout runs: pay every creator whose locked balance reaches the threshold, by Stripe Connect transfer.

Three steps so no Stripe call happens under a row lock:

1. Reserve (one transaction, creator rows locked in pk order): a ``Payout`` in ``processing`` and
   one payout ledger entry per line moving that line's locked balance to paid.
2. Transfer (no transaction): ``stripe_api.create_transfer`` with the payout's idempotency key
   (``kolshop-payout-<run>-<creator>-<currency>``) and its own ``transfer_group``.
3. Settle: ``paid`` with the transfer id, or ``failed`` with the message and compensating payout
   entries that put every cent back into the locked balance.

A payout left in ``processing`` (the process died during step 2) is retried by the next run with
the same idempotency key, so Stripe answers with the first transfer instead of making a second one.
A second run finds no locked balance left, so it creates no payout at all.
"""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from creators.models import CreatorProfile, EntryKind, LedgerEntry, Payout, PayoutRun, PayoutStatus
from shop.money import quantize, to_minor_units
from shop.payments import stripe_api
from shop.payments.gateway import PaymentGatewayError

log = structlog.get_logger(__name__)

ZERO = Decimal("0.00")


def payout_threshold() -> Decimal:
    return quantize(Decimal(settings.KOLSHOP_PAYOUT_THRESHOLD))


def _locked_by_line(creator_id: int, currency: str) -> dict[tuple[int, int, int | None, str], Decimal]:
    """{(order id, line id, page id, block id): locked − paid} for one creator and currency."""
    rows = (
        LedgerEntry.objects.filter(creator_id=creator_id, currency=currency, kind__in=[EntryKind.LOCK, EntryKind.PAYOUT])
        .order_by().values("order_id", "order_line_id", "page_id", "block_id", "kind").annotate(total=Sum("amount"))
    )
    balances: dict[tuple[int, int, int | None, str], Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        sign = 1 if row["kind"] == EntryKind.LOCK else -1
        balances[(row["order_id"], row["order_line_id"], row["page_id"], row["block_id"])] += sign * row["total"]
    return {key: value for key, value in balances.items() if value != 0}


def _locked_totals() -> dict[tuple[int, str], Decimal]:
    rows = (
        LedgerEntry.objects.filter(kind__in=[EntryKind.LOCK, EntryKind.PAYOUT]).order_by()
        .values("creator_id", "currency", "kind").annotate(total=Sum("amount"))
    )
    totals: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        totals[(row["creator_id"], row["currency"])] += row["total"] if row["kind"] == EntryKind.LOCK else -row["total"]
    return totals


@transaction.atomic
def _reserve(run: PayoutRun, *, now: datetime) -> list[Payout]:
    eligible = {key: total for key, total in _locked_totals().items() if total >= run.threshold}
    creators = list(
        CreatorProfile.objects.select_for_update().filter(pk__in={creator_id for creator_id, _ in eligible})
        .exclude(stripe_account_id="").order_by("pk")
    )
    busy = set(Payout.objects.filter(status=PayoutStatus.PROCESSING).values_list("creator_id", "currency"))
    payouts = []
    for creator in creators:
        for (creator_id, currency), _ in sorted(eligible.items()):
            if creator_id != creator.pk or (creator_id, currency) in busy:
                continue
            lines = _locked_by_line(creator.pk, currency)  # re-read under the creator's lock
            amount = quantize(sum(lines.values(), ZERO))
            if amount < run.threshold:
                continue
            key = f"kolshop-payout-{run.pk}-{creator.pk}-{currency}"
            payout = Payout.objects.create(
                run=run, creator=creator, amount=amount, currency=currency, destination=creator.stripe_account_id,
                transfer_group=f"kolshop-payout-{run.pk}-{creator.pk}-{currency.lower()}", idempotency_key=key,
            )
            LedgerEntry.objects.bulk_create([
                LedgerEntry(creator=creator, kind=EntryKind.PAYOUT, amount=line_amount, currency=currency,
                            order_id=order_id, order_line_id=line_id, page_id=page_id, block_id=block_id,
                            source_ref=f"payout:{payout.pk}", payout=payout, effective_at=now)
                for (order_id, line_id, page_id, block_id), line_amount in sorted(lines.items(), key=lambda i: i[0][1])
            ])
            payouts.append(payout)
    return payouts


def _transfer(payout: Payout) -> None:
    try:
        transfer_id = stripe_api.create_transfer(
            amount_minor=to_minor_units(payout.amount, payout.currency), currency=payout.currency,
            destination=payout.destination, transfer_group=payout.transfer_group,
            idempotency_key=payout.idempotency_key, metadata={"payout_id": str(payout.pk)},
        )
    except PaymentGatewayError as error:
        _settle(payout.pk, transfer_id="", failure=f"{error.code}: {error.provider_message or error.message}")
        return
    _settle(payout.pk, transfer_id=transfer_id, failure="")


@transaction.atomic
def _settle(payout_id: int, *, transfer_id: str, failure: str) -> None:
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status != PayoutStatus.PROCESSING:
        return
    now = timezone.now()
    payout.completed_at = now
    if not failure:
        payout.status, payout.transfer_id = PayoutStatus.PAID, transfer_id
        payout.save(update_fields=["status", "transfer_id", "completed_at"])
        log.info("payout paid", payout_id=payout.pk, creator_id=payout.creator_id, amount=str(payout.amount),
                 currency=payout.currency, transfer_id=transfer_id)
        return
    payout.status, payout.failure_message = PayoutStatus.FAILED, failure[:300]
    payout.save(update_fields=["status", "failure_message", "completed_at"])
    log.warning("payout failed", payout_id=payout.pk, creator_id=payout.creator_id, amount=str(payout.amount),
                currency=payout.currency, failure=payout.failure_message)
    # Nothing was paid: every cent goes back to the locked balance, as new entries.
    LedgerEntry.objects.bulk_create([
        LedgerEntry(creator_id=entry.creator_id, kind=EntryKind.PAYOUT, amount=-entry.amount, currency=entry.currency,
                    order_id=entry.order_id, order_line_id=entry.order_line_id, page_id=entry.page_id,
                    block_id=entry.block_id, source_ref=f"payout-failed:{payout.pk}", payout=payout, effective_at=now)
        for entry in payout.entries.filter(source_ref=f"payout:{payout.pk}").order_by("pk")
    ])


def run_payouts(*, now: datetime | None = None, threshold: Decimal | None = None) -> PayoutRun:
    """Pay every connected creator whose locked balance (per currency) is at least the threshold."""
    now = now or timezone.now()
    stuck = list(Payout.objects.filter(status=PayoutStatus.PROCESSING).order_by("pk"))
    for payout in stuck:  # a run that died between reserving and settling: same key, same transfer
        _transfer(payout)
    run = PayoutRun.objects.create(started_at=now, threshold=threshold if threshold is not None else payout_threshold())
    for payout in _reserve(run, now=now):
        _transfer(payout)
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    return run
