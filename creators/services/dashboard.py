"""What a creator's admin dashboard shows about money and traffic, read from the existing figures.

Nothing is counted here: balances come from ``ledger.creator_balances``, the 7- and 30-day windows
from the report (``reports.queries.build_report``, whose daily rows add up exactly because an order
belongs to the one day it was paid), and the top pages and blocks from "My earnings"
(``reports.earnings_by_page_and_block``). A fixed number of queries whatever the creator's size.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from creators.models import CreatorProfile
from creators.reports import figures
from creators.reports.queries import ReportFilters, ReportRow, build_report, today_utc
from creators.services.ledger import Balance, creator_balances
from creators.services.reports import EarningsRow, earnings_by_page_and_block

WINDOWS = (7, 30)
TOP = 5


@dataclass
class WindowFigures:
    """Clicks, orders, conversion and commission over the last ``days`` UTC days (today included)."""

    days: int
    clicks: int = 0
    orders: int = 0
    commission_by_currency: dict[str, Decimal] = field(default_factory=dict)

    @property
    def conversion_rate(self) -> Decimal | None:
        return figures.conversion_rate(self.orders, self.clicks)


@dataclass
class TopItem:
    label: str
    clicks: int
    orders: int
    earned: dict[str, Decimal]

    @property
    def conversion_rate(self) -> Decimal | None:
        return figures.conversion_rate(self.orders, self.clicks)


@dataclass
class CreatorDashboard:
    balances: dict[str, Balance]
    windows: list[WindowFigures]
    top_pages: list[TopItem]
    top_blocks: list[TopItem]


def _window(daily: list[ReportRow], *, days: int, today: date) -> WindowFigures:
    window = WindowFigures(days=days)
    start = today - timedelta(days=days - 1)
    for row in daily:
        if row.key[0] < start:
            continue
        window.clicks += row.clicks
        window.orders += row.orders
        window.commission_by_currency[row.currency] = (
            window.commission_by_currency.get(row.currency, Decimal("0.00")) + row.commission)
    return window


def _earned(rows: list[EarningsRow]) -> dict[str, Decimal]:
    earned: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for row in rows:
        if row.currency:
            earned[row.currency] += row.pending + row.locked + row.paid
    return dict(sorted(earned.items()))


def _top(rows: list[EarningsRow], label) -> list[TopItem]:
    """The best rows by money earned, then orders, then clicks (a second currency's row joins its first)."""
    groups: dict[tuple, list[EarningsRow]] = defaultdict(list)
    for row in rows:
        groups[(row.page_id, row.page_title, row.block_id)].append(row)
    items = [TopItem(label=label(*key), clicks=max(r.clicks for r in group), orders=max(r.orders for r in group),
                     earned=_earned(group)) for key, group in groups.items()]
    items.sort(key=lambda item: (sum(item.earned.values()), item.orders, item.clicks), reverse=True)
    return items[:TOP]


def creator_dashboard(creator: CreatorProfile, *, today: date | None = None) -> CreatorDashboard:
    today = today or today_utc()
    report = build_report(ReportFilters(start=today - timedelta(days=max(WINDOWS) - 1), end=today, group_by="day",
                                        creator_id=creator.pk))
    pages = [row for row in earnings_by_page_and_block(creator.pk, by_block=False) if row.page_id]
    blocks = [row for row in earnings_by_page_and_block(creator.pk) if row.page_id and row.block_id]
    labels = {(row.page_id, row.block_id): row.block_label for row in blocks}
    return CreatorDashboard(
        balances=creator_balances(creator.pk),
        windows=[_window(report.daily, days=days, today=today) for days in WINDOWS],
        top_pages=_top(pages, lambda page_id, title, _block: title or f"Page #{page_id}"),
        top_blocks=_top(blocks, lambda page_id, title, block_id: f"{title} › {labels[(page_id, block_id)]}"),
    )
