"""Brand performance reports read from the daily rollup plus live facts for days not rolled up yet."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils import timezone

from creators.models import CreatorProfile, DailyPerformance
from creators.reports.facts import FactKey, collect_facts
from creators.reports.rollup import built_through, day_bounds
from shop.models import Brand, Product
from shop.money import quantize
from wagtail.models import Page

# Rows describing fewer orders than this (but at least one) could point at a buyer; they are folded.
MIN_ORDERS_PER_ROW = 5
OTHER_LABEL = "Other (rows under 5 orders)"
GROUPINGS = {
    "creator": ("creator_id",),
    "page": ("page_id",),
    "block": ("page_id", "block_id"),
    "product": ("product_id",),
    "day": ("day",),
}
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
        return self.gmv - self.refunds

    @property
    def conversion_rate(self) -> Decimal | None:
        """Orders over clicks, as a percentage with two places."""
        if not self.clicks:
            return None
        return (Decimal(self.orders) * 100 / self.clicks).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def epc(self) -> Decimal | None:
        """Commission per click."""
        if not self.clicks:
            return None
        return (self.commission / self.clicks).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def add(self, other: "ReportRow | dict") -> None:
        get = other.get if isinstance(other, dict) else lambda name: getattr(other, name)
        for name in COUNT_METRICS:
            setattr(self, name, getattr(self, name) + (get(name) or 0))
        for name in MONEY_METRICS:
            # SQLite sums decimals with float noise; amounts are always whole cents.
            setattr(self, name, quantize(getattr(self, name) + Decimal(get(name) or 0)))


@dataclass
class Report:
    filters: ReportFilters
    rows: list[ReportRow]
    totals: list[ReportRow] = field(default_factory=list)  # one per currency
    daily: list[ReportRow] = field(default_factory=list)  # for the charts


def _in_scope(key: FactKey, filters: ReportFilters) -> bool:
    return (
        filters.start <= key.day <= filters.end
        and (filters.brand_ids is None or key.brand_id in filters.brand_ids)
        and (filters.creator_id is None or key.creator_id == filters.creator_id)
        and (filters.product_id is None or key.product_id == filters.product_id)
        and (filters.page_id is None or key.page_id == filters.page_id)
    )


def _live_facts(filters: ReportFilters, rolled_through: date | None) -> dict[FactKey, object]:
    """Raw facts for the days the rollup has not reached (normally just today), within the filters."""
    live_start = max(filters.start, rolled_through + timedelta(days=1)) if rolled_through else filters.start
    if live_start > filters.end:
        return {}
    start, _ = day_bounds(live_start)
    _, end = day_bounds(filters.end)
    facts = collect_facts(start, min(end, timezone.now() + timedelta(seconds=1)))
    return {key: figures for key, figures in facts.items() if _in_scope(key, filters)}


def _grouped(filters: ReportFilters, dimensions: tuple[str, ...], rolled_through: date | None,
             live: dict) -> dict[tuple, ReportRow]:
    """Sum rollup rows (one query) and live facts by ``dimensions`` (+ currency) within the filters."""
    rows: dict[tuple, ReportRow] = {}
    rollup_end = min(filters.end, rolled_through) if rolled_through else None
    if rollup_end is not None and rollup_end >= filters.start:
        queryset = DailyPerformance.objects.filter(day__gte=filters.start, day__lte=rollup_end)
        if filters.brand_ids is not None:
            queryset = queryset.filter(brand_id__in=filters.brand_ids)
        for name in ("creator_id", "product_id", "page_id"):
            if getattr(filters, name) is not None:
                queryset = queryset.filter(**{name: getattr(filters, name)})
        for row in queryset.values(*dimensions, "currency").annotate(
            **{name: Sum(name) for name in (*COUNT_METRICS, *MONEY_METRICS)}
        ):
            key = tuple(row[name] for name in dimensions)
            rows.setdefault((key, row["currency"]), ReportRow(key=key, label="", currency=row["currency"])).add(row)
    for fact_key, figures in live.items():
        key = tuple(getattr(fact_key, name) for name in dimensions)
        row = rows.setdefault((key, fact_key.currency), ReportRow(key=key, label="", currency=fact_key.currency))
        row.add({name: getattr(figures, name) for name in (*COUNT_METRICS, *MONEY_METRICS)})
    return rows


def _label_rows(rows: list[ReportRow], group_by: str) -> None:
    ids = {row.key[0] for row in rows if row.key and row.key[0] is not None}
    if group_by == "creator":
        names = dict(CreatorProfile.objects.filter(pk__in=ids).values_list("pk", "display_name"))
        empty = "Direct (no creator)"
    elif group_by in ("page", "block"):
        names = dict(Page.objects.filter(pk__in=ids).values_list("pk", "title"))
        empty = "Direct (no page)"
    elif group_by == "product":
        names = dict(Product.objects.filter(pk__in=ids).values_list("pk", "title"))
        empty = "Page views (no product)"
    else:
        names, empty = {}, "—"
    for row in rows:
        first = row.key[0] if row.key else None
        if group_by == "day":
            row.label = first.isoformat()
        else:
            row.label = names.get(first, f"#{first}") if first is not None else empty
        if group_by == "block" and first is not None:
            row.label = f"{row.label} · block {row.key[1][:8] or '—'}"


def _fold_small_rows(rows: list[ReportRow]) -> list[ReportRow]:
    """Rows with 1–4 orders go into one 'Other' row per currency; totals are unchanged."""
    kept, other = [], {}
    for row in rows:
        if 0 < row.orders < MIN_ORDERS_PER_ROW:
            bucket = other.setdefault(row.currency, ReportRow(key=("other",), label=OTHER_LABEL, currency=row.currency, folded=True))
            bucket.add(row)
        else:
            kept.append(row)
    return kept + list(other.values())


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


def build_report(filters: ReportFilters) -> Report:
    rolled_through = built_through()
    live = _live_facts(filters, rolled_through)
    rows = list(_grouped(filters, GROUPINGS[filters.group_by], rolled_through, live).values())
    _label_rows(rows, filters.group_by)
    rows = _sort(_fold_small_rows(rows), filters.sort)
    totals: dict[str, ReportRow] = {}
    for row in rows:
        totals.setdefault(row.currency, ReportRow(key=("total",), label="Total", currency=row.currency)).add(row)
    # The trend charts show whole days (amounts only, never a row per buyer).
    daily = list(_grouped(filters, ("day",), rolled_through, live).values())
    for row in daily:
        row.label = row.key[0].isoformat()
    daily.sort(key=lambda row: row.key)
    return Report(filters=filters, rows=rows, totals=list(totals.values()), daily=daily)


def brands_for_filter(brand_ids: frozenset[int] | None):
    queryset = Brand.objects.order_by("name")
    return queryset if brand_ids is None else queryset.filter(pk__in=brand_ids)


def today_utc() -> date:
    return timezone.now().astimezone(timezone.get_fixed_timezone(0)).date()


def default_range() -> tuple[date, date]:
    today = today_utc()
    return today - timedelta(days=29), today
