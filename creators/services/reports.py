"""What creators (and staff) read: earnings per page and block, and statements per month.

Selectors only: a fixed number of aggregate queries per report, whatever the number of pages,
blocks or entries. Nothing here reads a buyer's email, name, address or order number.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone as dt_timezone
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from wagtail.models import Page

from creators.models import Click, EntryKind, LedgerEntry, OrderLineAttribution
from creators.reports import figures
from creators.services.block_labels import block_labels, label_of
from shop.models import Order
from creators.spreadsheets import spreadsheet_cell
from shop.money import quantize

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum(kind: str) -> Coalesce:
    return Coalesce(Sum("amount", filter=Q(kind=kind)), Value(ZERO), output_field=_MONEY)


@dataclass
class EarningsRow:
    creator_id: int
    page_id: int | None
    block_id: str
    page_title: str = ""
    block_label: str = ""
    clicks: int = 0
    orders: int = 0
    currency: str = ""
    pending: Decimal = ZERO
    locked: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def conversion_rate(self) -> Decimal | None:
        return figures.conversion_rate(self.orders, self.clicks)


def earnings_by_page_and_block(creator_id: int | None, *, by_block: bool = True) -> list[EarningsRow]:
    """One row per (creator, page, block[, currency]); ``creator_id=None`` means every creator (staff).

    ``by_block=False``: one row per page (an order from two blocks of a page is one order of the page).
    """
    scope = Q() if creator_id is None else Q(creator_id=creator_id)
    dimensions = ["creator_id", "page_id", "block_id"] if by_block else ["creator_id", "page_id"]
    rows: dict[tuple, EarningsRow] = {}

    def row(creator: int, page_id: int | None, block_id: str) -> EarningsRow:
        key = (creator, page_id, block_id or "")
        if key not in rows:
            rows[key] = EarningsRow(creator, page_id, block_id or "")
        return rows[key]

    for item in Click.objects.filter(scope).order_by().values(*dimensions).annotate(n=Count("pk")):
        row(item["creator_id"], item["page_id"], item.get("block_id", "")).clicks = item["n"]
    # Paid orders only (the report definition): a cancelled or replaced checkout never counts.
    counted = Order.objects.filter(figures.counted_orders()).values("pk")
    orders = (OrderLineAttribution.objects.filter(scope & Q(creator__isnull=False), order_id__in=counted).order_by()
              .values(*dimensions).annotate(n=figures.distinct_orders()))
    for item in orders:
        row(item["creator_id"], item["page_id"], item.get("block_id", "")).orders = item["n"]
    money = (LedgerEntry.objects.filter(scope).order_by().values(*dimensions, "currency")
             .annotate(accrued=_sum(EntryKind.ACCRUAL), reversed=_sum(EntryKind.REVERSAL),
                       locks=_sum(EntryKind.LOCK), payouts=_sum(EntryKind.PAYOUT)))
    for item in money:
        target = row(item["creator_id"], item["page_id"], item.get("block_id", ""))
        if target.currency and target.currency != item["currency"]:  # a second currency gets its own row
            target = EarningsRow(target.creator_id, target.page_id, target.block_id)
            rows[(item["creator_id"], item["page_id"], item.get("block_id", ""), item["currency"])] = target
        target.currency = item["currency"]
        target.pending = quantize(item["accrued"] + item["reversed"] - item["locks"])
        target.locked = quantize(item["locks"] - item["payouts"])
        target.paid = quantize(item["payouts"])
    titles = dict(Page.objects.filter(pk__in={r.page_id for r in rows.values() if r.page_id}).values_list("pk", "title"))
    labels = block_labels({r.page_id for r in rows.values() if r.block_id})
    for item in rows.values():
        item.page_title = titles.get(item.page_id, "") if item.page_id else ""
        item.block_label = label_of(labels, item.page_id, item.block_id)
    return sorted(rows.values(), key=lambda r: (r.creator_id, r.page_title, r.page_id or 0, r.block_id, r.currency))


@dataclass
class StatementLine:
    effective_at: datetime
    kind: str
    page_title: str
    block_id: str
    base_amount: Decimal | None
    rate: Decimal | None
    amount: Decimal
    currency: str
    block_label: str = ""


@dataclass
class Statement:
    creator_id: int
    start: date
    end: date  # exclusive
    lines: list[StatementLine] = field(default_factory=list)
    # {currency: {"sales", "commission", "reversals", "payouts"}}
    totals: dict[str, dict[str, Decimal]] = field(default_factory=dict)


def parse_period(value: str) -> tuple[date, date]:
    """"2026-03" → (2026-03-01, 2026-04-01); raises ValueError for anything else."""
    year, month = (int(part) for part in value.split("-", 1))
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def _at_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=dt_timezone.utc)


def statement(creator_id: int, *, start: date, end: date) -> Statement:
    """Sales, commission, reversals and payouts of one creator in [start, end) (UTC days)."""
    entries = list(
        LedgerEntry.objects.filter(creator_id=creator_id, effective_at__gte=_at_midnight(start),
                                   effective_at__lt=_at_midnight(end))
        .exclude(kind=EntryKind.LOCK).order_by("effective_at", "pk")
    )
    titles = dict(Page.objects.filter(pk__in={e.page_id for e in entries if e.page_id}).values_list("pk", "title"))
    labels = block_labels({e.page_id for e in entries if e.block_id})
    result = Statement(creator_id=creator_id, start=start, end=end)
    totals: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"sales": ZERO, "commission": ZERO, "reversals": ZERO, "payouts": ZERO})
    for entry in entries:
        result.lines.append(StatementLine(entry.effective_at, entry.kind, titles.get(entry.page_id, ""), entry.block_id,
                                          entry.base_amount, entry.rate, entry.amount, entry.currency,
                                          label_of(labels, entry.page_id, entry.block_id)))
        bucket = totals[entry.currency]
        if entry.kind == EntryKind.ACCRUAL:
            bucket["sales"] += entry.base_amount or ZERO
            bucket["commission"] += entry.amount
        elif entry.kind == EntryKind.REVERSAL:
            bucket["reversals"] += entry.amount
        elif entry.kind == EntryKind.PAYOUT:
            bucket["payouts"] += entry.amount
    result.totals = dict(sorted(totals.items()))
    return result


# "block" is the block's human label (what the creator recognises); its id stays in the last column.
CSV_HEADER = ["date", "kind", "page", "block", "sale_amount", "rate", "amount", "currency", "block_id"]


def statement_csv(result: Statement) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in result.lines:
        writer.writerow([
            line.effective_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M"), line.kind,
            spreadsheet_cell(line.page_title), spreadsheet_cell(line.block_label),
            "" if line.base_amount is None else f"{line.base_amount:.2f}",
            "" if line.rate is None else f"{line.rate:.4f}", f"{line.amount:.2f}", line.currency,
            spreadsheet_cell(line.block_id),
        ])
    for currency, totals in result.totals.items():
        for name in ("sales", "commission", "reversals", "payouts"):
            writer.writerow([f"total {name}", "", "", "", "", "", f"{totals[name]:.2f}", currency, ""])
    return buffer.getvalue()
