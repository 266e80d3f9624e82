"""Brand performance reports read from the daily rollup plus live facts for days not rolled up yet.

Event counts (views, clicks, add-to-carts) come from ``DailyPerformance`` and ``event_facts``, a page's
events stored once and counted for the brands it features by ``facts.events_of_brands``; order
figures from ``OrderLineFact`` and ``order_line_facts``, counted with ``figures.order_figures`` at
the report's own grouping (and again for the total and the folded row), so an order is never
counted twice. Both paths filter in SQL with ``figures.scope_q``.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import router
from django.db.models import F
from django.utils import timezone

from creators.models import CreatorProfile, OrderLineFact
from creators.reports import compiled, figures
from creators.services.block_labels import block_labels, label_of
from creators.reports.facts import ORDER_COUNT_COLUMNS, ORDER_LINE_COLUMNS, EventCounts, FactKey, event_facts
from creators.reports.rollup import RollupState, day_bounds, days_to_count_from_facts, rollup_state
from operations.db_router import one_snapshot, reads_from_replica
from shop.models import Brand, Product
from shop.money import quantize
from shop.services.compiled_queries import ArrayIn, CompiledQuery, orm_reader
from wagtail.models import Page

# Rows describing fewer orders than this (but at least one) could point at a buyer; they are folded.
MIN_ORDERS_PER_ROW = 5
OTHER_LABEL = "Other (rows under 5 orders)"
# grouping → the dimensions of its rows
GROUPINGS = {
    "creator": ("creator",),
    "page": ("page",),
    "block": ("page", "block"),
    "product": ("product",),
    "day": ("day",),
}
# how the rollup tables name the dimensions
ROLLUP_COLUMNS = {
    "day": "day", "brand": "brand_id", "creator": "creator_id", "page": "page_id", "block": "block_id",
    "product": "product_id", "currency": "currency",
}
EVENT_METRICS = compiled.EVENT_METRICS
ORDER_METRICS = ("orders", "units", "gmv", "refunds", "commission")
COUNT_METRICS = ("views", "clicks", "add_to_carts", "orders", "units")
MONEY_METRICS = ("gmv", "refunds", "commission")
SORTABLE = ("label", *COUNT_METRICS, *MONEY_METRICS, "net_gmv", "conversion_rate", "epc")


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date
    group_by: str = "creator"
    brand_ids: frozenset[int] | None = None  # None: every brand (staff)
    creator_id: int | None = None
    product_id: int | None = None
    page_id: int | None = None
    sort: str = "-gmv"

    @property
    def scope(self) -> figures.Scope:
        return figures.Scope(start=self.start, end=self.end, brand_ids=self.brand_ids, creator_id=self.creator_id,
                             page_id=self.page_id, product_id=self.product_id)


@dataclass
class ReportRow:
    key: tuple
    label: str
    currency: str
    views: int = 0
    clicks: int = 0
    add_to_carts: int = 0
    orders: int = 0
    units: int = 0
    gmv: Decimal = Decimal("0.00")
    refunds: Decimal = Decimal("0.00")
    commission: Decimal = Decimal("0.00")
    folded: bool = False

    @property
    def net_gmv(self) -> Decimal:
        return figures.net_gmv(self.gmv, self.refunds)

    @property
    def conversion_rate(self) -> Decimal | None:
        return figures.conversion_rate(self.orders, self.clicks)

    @property
    def epc(self) -> Decimal | None:
        return figures.earnings_per_click(self.commission, self.clicks)

    def add(self, other: dict, metrics: tuple[str, ...]) -> None:
        """Add figures of days that don't overlap (rolled-up days, live days): distinct orders add up too."""
        for name in metrics:
            value = other.get(name) or 0
            if name in MONEY_METRICS:
                # SQLite sums decimals with float noise; amounts are always whole cents.
                setattr(self, name, quantize(getattr(self, name) + Decimal(value)))
            else:
                setattr(self, name, getattr(self, name) + value)


@dataclass
class Report:
    filters: ReportFilters
    rows: list[ReportRow]
    totals: list[ReportRow] = field(default_factory=list)  # one per currency
    daily: list[ReportRow] = field(default_factory=list)  # for the charts


@dataclass
class LiveWindow:
    """The days the rollup has not reached (normally just today), with their event counts read once."""

    start: datetime
    end: datetime
    events: dict[FactKey, EventCounts]


def _live_window(filters: ReportFilters, rollup: RollupState) -> LiveWindow | None:
    rolled_through = rollup.built_through
    live_start = max(filters.start, rolled_through + timedelta(days=1)) if rolled_through else filters.start
    if live_start > filters.end:
        return None
    start, _ = day_bounds(live_start)
    _, end = day_bounds(filters.end)
    end = min(end, timezone.now() + timedelta(seconds=1))
    return LiveWindow(start, end, event_facts(start, end, scope=filters.scope))


def _summed_orders(filters: ReportFilters, sets: list[tuple[str, ...]],
                   only: tuple | None) -> dict[tuple[str, ...], str] | None:
    """For each set, the rolled-up column whose sum is its distinct orders (``facts.order_count_marks``),
    when a sum is exact: one brand, no creator, page or product filter and no folded keys (the marks are
    per brand and per grouping); None: count ``COUNT(DISTINCT order_id)`` instead."""
    if (only is not None or filters.brand_ids is None or len(filters.brand_ids) != 1
            or any(value is not None for value in (filters.creator_id, filters.page_id, filters.product_id))):
        return None
    columns = {dimensions: ORDER_COUNT_COLUMNS.get(dimensions) for dimensions in sets}
    return None if None in columns.values() else columns


def _grouped(filters: ReportFilters, dimensions: tuple[str, ...], rollup: RollupState,
             live: LiveWindow | None, *, only: tuple[tuple[str, ...], set[tuple]] | None = None) -> dict[tuple, ReportRow]:
    """Figures by ``dimensions`` (+ currency) within the filters (``_grouped_sets`` for one set)."""
    return _grouped_sets(filters, [dimensions], rollup, live, only=only)[dimensions]


def _grouped_sets(filters: ReportFilters, sets: list[tuple[str, ...]], rollup: RollupState,
                  live: LiveWindow | None, *, only: tuple[tuple[str, ...], set[tuple]] | None = None,
                  ) -> dict[tuple[str, ...], dict[tuple, ReportRow]]:
    """Figures by each set of ``dimensions`` (+ currency) within the filters: the rollup for rolled-up
    days and the live window's order lines (SQL), plus its event counts. Each source is read once for
    all the sets (``compiled.source``). ``only`` = (dimensions, keys) limits to rows whose
    (dimensions…, currency) is one of ``keys`` (the folded rows)."""
    rows: dict[tuple[str, ...], dict[tuple, ReportRow]] = {dimensions: {} for dimensions in sets}
    scope = filters.scope

    def collect(source: str, values: dict, columns: dict, metrics: tuple[str, ...], aggregates,
                orders_of: dict[tuple[str, ...], str] | None = None) -> None:
        names_of = {dimensions: tuple(columns[name] for name in (*dimensions, "currency")) for dimensions in sets}
        if only is None:
            query = compiled.source(source, list(names_of.values()), aggregates)
        else:  # the folded rows' keys, as values too
            only_columns = tuple(columns[name] for name in (*only[0], "currency"))
            query = compiled.source(source, list(names_of.values()), aggregates, only_columns=only_columns)
            values = {**values, **compiled.keys_values(only[1])}
        results = query.run(**values)
        for dimensions, names in names_of.items():
            into = rows[dimensions]
            for row in results[names]:
                if orders_of is not None:
                    row = {**row, "orders": row[orders_of[dimensions]]}
                key = tuple(row[name] for name in names[:-1])
                currency = row[names[-1]]
                into.setdefault((key, currency), ReportRow(key=key, label="", currency=currency)).add(row, metrics)

    rolled_through = rollup.built_through
    rollup_end = min(filters.end, rolled_through) if rolled_through else None
    if rollup_end is not None and rollup_end >= filters.start:
        rolled = figures.scope_values(figures.Scope(**{**scope.__dict__, "end": rollup_end}))
        collect("rolled_events", rolled, ROLLUP_COLUMNS, EVENT_METRICS, compiled.event_sums)
        orders_of = _summed_orders(filters, sets, only)
        if orders_of is None:
            collect("rolled_facts", rolled, ROLLUP_COLUMNS, ORDER_METRICS, figures.order_figures)
        else:
            # The day's sums (a few rows a day, no COUNT(DISTINCT)), except days whose sums are stale or
            # missing: those count from their facts, so rows, total, days and the folded row (always read
            # from the facts) all come from what the facts say.
            stale = sorted(days_to_count_from_facts(rollup, start=filters.start, end=rollup_end,
                                                    brand_id=next(iter(filters.brand_ids))))
            collect("rolled_sales", {**rolled, "stale_days": stale}, ROLLUP_COLUMNS, ORDER_METRICS,
                    compiled.sales_sums(tuple(sorted(set(orders_of.values())))), orders_of)
            if stale:
                collect("stale_facts", {**rolled, "stale_days": stale}, ROLLUP_COLUMNS, ORDER_METRICS,
                        figures.order_figures)

    if live is not None:
        for fact_key, counts in live.events.items():
            if only is not None and (*(getattr(fact_key, ROLLUP_COLUMNS[name]) for name in only[0]),
                                     fact_key.currency) not in only[1]:
                continue
            for dimensions, into in rows.items():
                key = tuple(getattr(fact_key, ROLLUP_COLUMNS[name]) for name in dimensions)
                into.setdefault((key, fact_key.currency), ReportRow(key=key, label="", currency=fact_key.currency)).add(
                    counts.__dict__, EVENT_METRICS)
        collect("live_order_lines", {"live_start": live.start, "live_end": live.end,
                                     **figures.scope_values(scope, days=False)},
                ORDER_LINE_COLUMNS, ORDER_METRICS, figures.order_figures)
    return rows


# A row's name by its grouping's id (creator, page, product): compiled once per process (``compiled_queries``).
_NAMES = {
    "creator": CompiledQuery(lambda ids: CreatorProfile.objects.filter(ArrayIn(F("pk"), ids))
                             .values_list("pk", "display_name"), read=orm_reader, name="creator names"),
    "page": CompiledQuery(lambda ids: Page.objects.filter(ArrayIn(F("pk"), ids)).values_list("pk", "title"),
                          read=orm_reader, name="page titles"),
    "product": CompiledQuery(lambda ids: Product.objects.filter(ArrayIn(F("pk"), ids)).values_list("pk", "title"),
                             read=orm_reader, name="product titles"),
}
_NAMED_BY = {"creator": (CreatorProfile, "creator", "Direct (no creator)"), "page": (Page, "page", "Direct (no page)"),
             "block": (Page, "page", "Direct (no page)"), "product": (Product, "product", "Page views (no product)")}


def _label_rows(rows: list[ReportRow], group_by: str) -> None:
    ids = {row.key[0] for row in rows if row.key and row.key[0] is not None}
    if group_by in _NAMED_BY:
        model, kind, empty = _NAMED_BY[group_by]
        names = dict(_NAMES[kind].run({"ids": sorted(ids)}, using=router.db_for_read(model)))
    else:
        names, empty = {}, "—"
    blocks = block_labels(ids) if group_by == "block" else {}
    for row in rows:
        first = row.key[0] if row.key else None
        if group_by == "day":
            row.label = first.isoformat()
        else:
            row.label = names.get(first, f"#{first}") if first is not None else empty
        if group_by == "block" and first is not None:
            row.label = f"{row.label} › {label_of(blocks, first, row.key[1]) or '—'}"


def _fold_small_rows(rows: list[ReportRow], filters: ReportFilters, rollup: RollupState,
                     live: LiveWindow | None) -> list[ReportRow]:
    """Rows with 1–4 orders go into one 'Other' row per currency, its figures counted afresh over the
    folded rows (an order in two folded rows counts once there too); totals are unchanged."""
    small = [row for row in rows if 0 < row.orders < MIN_ORDERS_PER_ROW]
    if not small:
        return rows
    keys = {(*row.key, row.currency) for row in small}
    other = _grouped(filters, (), rollup, live, only=(GROUPINGS[filters.group_by], keys))
    folded = []
    for (_, currency), row in sorted(other.items(), key=lambda item: item[0][1]):
        row.key, row.label, row.folded = ("other",), OTHER_LABEL, True
        folded.append(row)
    small_ids = {id(row) for row in small}
    return [row for row in rows if id(row) not in small_ids] + folded


def _sort(rows: list[ReportRow], sort: str) -> list[ReportRow]:
    name = sort.lstrip("-")
    name = name if name in SORTABLE else "gmv"
    def value(row):
        raw = getattr(row, name)
        return (raw is not None, raw if raw is not None else 0)
    ordered = sorted(rows, key=lambda row: row.label) if name == "label" else sorted(rows, key=value)
    if sort.startswith("-"):
        ordered.reverse()
    # "Other" always last, whatever the sort.
    return [row for row in ordered if not row.folded] + [row for row in ordered if row.folded]


@reads_from_replica  # reports tolerate replica lag (DATABASE_REPLICA_URL)
def build_report(filters: ReportFilters) -> Report:
    # One snapshot: the rollup's state, the daily sums, the facts and the live window agree with each other.
    with one_snapshot(router.db_for_read(OrderLineFact)):
        return _build_report(filters)


def _build_report(filters: ReportFilters) -> Report:
    rollup = rollup_state()
    live = _live_window(filters, rollup)
    # The rows, the total (each order once, however many rows it appears in) and the trend charts'
    # whole days (amounts only, never a row per buyer), from one query per source.
    row_dimensions = GROUPINGS[filters.group_by]
    grouped = _grouped_sets(filters, [row_dimensions, (), ("day",)], rollup, live)
    rows = list(grouped[row_dimensions].values())
    _label_rows(rows, filters.group_by)
    rows = _sort(_fold_small_rows(rows, filters, rollup, live), filters.sort)
    totals = sorted(grouped[()].values(), key=lambda row: row.currency)
    for row in totals:
        row.key, row.label = ("total",), "Total"
    # Copies: grouped by day, the rows are the same set and keep their own objects.
    daily = sorted((replace(row) for row in grouped[("day",)].values()), key=lambda row: row.key)
    for row in daily:
        row.label = row.key[0].isoformat()
    return Report(filters=filters, rows=rows, totals=totals, daily=daily)


def brands_for_filter(brand_ids: frozenset[int] | None):
    queryset = Brand.objects.order_by("name")
    return queryset if brand_ids is None else queryset.filter(pk__in=brand_ids)


def today_utc() -> date:
    return timezone.now().astimezone(timezone.get_fixed_timezone(0)).date()


def default_range() -> tuple[date, date]:
    today = today_utc()
    return today - timedelta(days=29), today
