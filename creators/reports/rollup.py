"""The incremental daily rollup (run by a scheduled task; safe to run any number of times).

Each run rebuilds: every past day that got new raw facts since the last run (primary key above
each source's watermark, mapped to the day the fact counts on), every past day marked changed
(``ReportDirtyDay``: a refund settled, a commission was reversed, a payment or cancellation came
late; see ``mark_order_changed``), every whole day since the last run, and every past day whose facts a release
before the order-count marks wrote during a rolling deploy (``days_rolled_up_without_marks``). Rebuilding a day
replaces its rows with what ``event_facts`` and ``order_line_facts`` compute from the raw facts,
so a fact ingested twice (refused by its unique key) or a run repeated counts once.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connections, router, transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone

from creators.models import (
    Click, DailyPerformance, DailySales, LedgerEntry, LinkDayClicks, OrderLineFact, PageView, ReportDirtyDay, RollupWatermark,
)
from creators.reports.facts import event_facts, order_count_marks, order_line_facts
from creators.reports.figures import report_day, utc_day
from shop.models import AddToCartEvent, Order, OrderLine, RefundLine
from shop.services import write_batches
from shop.services.compiled_queries import CompiledQuery, orm_reader

# source name → (model, the timestamp that decides the day a fact counts on)
SOURCES = {
    "page_views": (PageView, "viewed_at"),
    "clicks": (Click, "clicked_at"),
    "add_to_carts": (AddToCartEvent, "created_at"),
    "order_lines": (OrderLine, "order__paid_at"),
    # refunds and commission belong to the day their order was paid
    "refund_lines": (RefundLine, "order_line__order__paid_at"),
    "ledger_entries": (LedgerEntry, Subquery(Order.objects.filter(pk=OuterRef("order_id")).values("paid_at")[:1])),
}
DAYS_SOURCE = "days"
# Days through which raw views and clicks were deleted by retention (privacy): a rebuild of such a day
# keeps its event counts (views, clicks, add-to-carts) and recomputes only the order-line facts.
EVENTS_PURGED_SOURCE = "events_purged"
# The last run of this release's rollup: its heal left no day's daily sums stale. Its row's ``updated_at`` is
# the ``days`` row's as that run saved it; every later run, of any release, saves the ``days`` row again.
SALES_HEALED_SOURCE = "sales_healed"


@dataclass
class RollupResult:
    days_rebuilt: list[date]
    rows_written: int


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=timezone.get_fixed_timezone(0))
    return start, start + timedelta(days=1)


def events_purged_through() -> date | None:
    state = RollupWatermark.objects.filter(source=EVENTS_PURGED_SOURCE).first()
    return state.built_through if state else None


def mark_events_purged(through: date) -> None:
    """Retention deleted raw views and clicks up to ``through`` (only days already rolled up)."""
    mark, _ = RollupWatermark.objects.get_or_create(source=EVENTS_PURGED_SOURCE)
    if mark.built_through is None or mark.built_through < through:
        mark.built_through = through
        mark.save(update_fields=["built_through", "updated_at"])


def keep_link_clicks(through: date) -> int:
    """Retention is about to delete raw clicks up to ``through``: each link's clicks per day are kept first
    (days after the last kept one; a day is kept once), so per-link figures survive the purge."""
    last = LinkDayClicks.objects.aggregate(last=Max("day"))["last"]
    clicks = Click.objects.filter(clicked_at__lt=day_bounds(through)[1])
    if last is not None:
        clicks = clicks.filter(clicked_at__gte=day_bounds(last)[1])
    rows = (clicks.annotate(day=report_day("clicked_at")).order_by().values("link_id", "day")
            .annotate(clicks=Count("pk")))
    kept = [LinkDayClicks(link_id=row["link_id"], day=row["day"], clicks=row["clicks"]) for row in rows]
    LinkDayClicks.objects.bulk_create(kept, batch_size=1000, ignore_conflicts=True)
    return len(kept)


def rebuild_day(day: date) -> int:
    start, end = day_bounds(day)
    purged = events_purged_through()
    keep_events = purged is not None and day <= purged
    events = [] if keep_events else [
        DailyPerformance(
            day=key.day, brand_id=key.brand_id, creator_id=key.creator_id, page_id=key.page_id,
            block_id=key.block_id, product_id=key.product_id, currency=key.currency,
            views=counts.views, clicks=counts.clicks, add_to_carts=counts.add_to_carts,
        )
        for key, counts in event_facts(start, end).items()
    ]
    rows = list(order_line_facts(start, end).values(
        "pk", "day", "order_id", "brand_id", "attributed_creator_id", "attributed_page_id", "attributed_block_id",
        "product_id", "currency", "units", "gmv", "refunds", "commission"))
    lines = [
        OrderLineFact(day=row["day"], order_id=row["order_id"], order_line_id=row["pk"], brand_id=row["brand_id"],
                      creator_id=row["attributed_creator_id"], page_id=row["attributed_page_id"],
                      block_id=row["attributed_block_id"], product_id=row["product_id"], currency=row["currency"],
                      units=row["units"], gmv=row["gmv"], refunds=row["refunds"], commission=row["commission"],
                      **marks)
        for row, marks in zip(sorted(rows, key=lambda row: row["pk"]), order_count_marks(rows))
    ]
    sales = daily_sales(lines)
    if not keep_events:
        DailyPerformance.objects.filter(day=day).delete()
    OrderLineFact.objects.filter(day=day).delete()
    DailySales.objects.filter(day=day).delete()
    DailyPerformance.objects.bulk_create(events, batch_size=1000)
    OrderLineFact.objects.bulk_create(lines, batch_size=1000)
    DailySales.objects.bulk_create(sales, batch_size=1000)
    return len(events) + len(lines) + len(sales)


SALES_KEY = ("day", "brand_id", "creator_id", "page_id", "block_id", "product_id", "currency")
SALES_SUMS = ("units", "gmv", "refunds", "commission", "orders_by_brand", "orders_by_creator", "orders_by_page",
              "orders_by_block", "orders_by_product")


def daily_sales(lines: list[OrderLineFact]) -> list[DailySales]:
    """The day's order-line facts summed per dimension (marks included: they add up within a key too)."""
    summed: dict[tuple, DailySales] = {}
    for line in lines:
        key = tuple(getattr(line, name) for name in SALES_KEY)
        row = summed.setdefault(key, DailySales(**dict(zip(SALES_KEY, key)), **{name: 0 for name in SALES_SUMS}))
        for name in SALES_SUMS:
            setattr(row, name, getattr(row, name) + getattr(line, name))
    return list(summed.values())


def built_through() -> date | None:
    state = RollupWatermark.objects.filter(source=DAYS_SOURCE).first()
    return state.built_through if state else None


@dataclass(frozen=True)
class RollupState:
    """How far the rollup has got, and whether the last run to commit was one of this release's (so no day's
    daily sums are stale: see ``days_to_count_from_facts``)."""

    built_through: date | None
    sales_healed: bool

    @classmethod
    def of(cls, days: RollupWatermark | None, healed: RollupWatermark | None) -> "RollupState":
        # Equal stamps: no run saved the days row after the run that healed (a previous release's run saves it
        # with its own clock's time; equal to the microsecond only by a chance not worth a probe).
        return cls(built_through=days.built_through if days else None,
                   sales_healed=days is not None and healed is not None and healed.updated_at == days.updated_at)


# Compiled once per process (``shop.services.compiled_queries``): every report reads it first.
_WATERMARKS = CompiledQuery(lambda sources: RollupWatermark.objects.filter(source__in=sources), read=orm_reader,
                            name="rollup watermarks")


def rollup_state() -> RollupState:
    """The rollup's state for a report: one query (two rows)."""
    marks = {mark.source: mark for mark in _WATERMARKS.run({"sources": [DAYS_SOURCE, SALES_HEALED_SOURCE]},
                                                          using=router.db_for_read(RollupWatermark))}
    return RollupState.of(marks.get(DAYS_SOURCE), marks.get(SALES_HEALED_SOURCE))


def mark_days_changed(days: Iterable[date]) -> None:
    """Past days whose figures changed after they may have been rolled up: the next run rebuilds them."""
    # Sent with a payment's other writes when it batches them (shop.services.write_batches).
    write_batches.insert([ReportDirtyDay(day=day) for day in set(days)], ignore_conflicts=True)


def mark_order_changed(order: Order) -> None:
    """An order's figures changed (paid, refunded, disputed, cancelled): its paid day is rebuilt."""
    if order.paid_at is not None:
        mark_days_changed([utc_day(order.paid_at)])


def _take_dirty_days() -> set[date]:
    # Taken (deleted) before the rebuild: a change committed later marks its day again.
    marked = list(ReportDirtyDay.objects.values_list("pk", "day"))
    ReportDirtyDay.objects.filter(pk__in=[pk for pk, _ in marked]).delete()
    return {day for _, day in marked}


def days_with_stale_sales(*, start: date | None = None, end: date, brand_id: int | None = None) -> set[date]:
    """Days in [start, end] whose ``DailySales`` do not sum their order-line facts (of ``brand_id``, or all brands).

    ``rebuild_day`` writes a day's facts and its daily sums in one transaction, so they agree, and every
    order has a fact marked in ``orders_by_brand`` (``facts.order_count_marks``: its first line per brand).
    A release before the marks, still running its hourly rollup on an old worker during a rolling deploy,
    writes facts with no marks (the columns' database default, 0) and knows no ``DailySales``: a day it rolled
    up newly has facts and no sums; a day it rebuilt (a refund, a late payment) has unmarked facts and the sums
    from before. So a day is stale when it has facts and no sums, sums and no facts, or facts none of which is
    marked. The rollup rebuilds such days; until it has, brand reports count them from the facts.

    One statement whose cost grows with the days, not the facts: a loose index scan finds the days having facts
    and the days having sums (one index probe a day each), and per day one probe finds a marked fact (the
    day's first fact normally is one)."""
    database = connections[router.db_for_read(OrderLineFact)]  # a report's reads may go to the replica
    facts, sales = (database.ops.quote_name(model._meta.db_table) for model in (OrderLineFact, DailySales))
    brand_params = [] if brand_id is None else [brand_id]
    start = start or date.min

    def of_brand(alias: str) -> str:
        """The condition (with its ``AND``) that a row of ``alias`` is the brand's; none for every brand."""
        return "" if brand_id is None else f"{alias}.brand_id = %s AND "

    def first_day(table: str, alias: str, after: str) -> str:
        """The table's first day of the brand in the range after ``after``: one index probe (scalar, with
        LIMIT, so PostgreSQL neither hashes it nor scans the range, whatever its statistics say)."""
        return (f"(SELECT {alias}.day FROM {table} AS {alias} WHERE {of_brand(alias)}"
                f"{alias}.day {after} AND {alias}.day <= %s ORDER BY {alias}.day LIMIT 1)")

    def days_of(table: str, name: str) -> str:
        return (f"{name}(day) AS (SELECT {first_day(table, 'earliest', '>= %s')} UNION ALL "
                f"SELECT {first_day(table, 'later', '> found.day')} FROM {name} AS found WHERE found.day IS NOT NULL)")

    marked_day = (f"(SELECT marked.day FROM {facts} AS marked WHERE {of_brand('marked')}"
                  f"marked.day = fact_days.day AND marked.orders_by_brand = 1 LIMIT 1)")
    sql = (
        f"WITH RECURSIVE {days_of(facts, 'fact_days')}, {days_of(sales, 'sale_days')} "
        f"SELECT fact_days.day FROM fact_days WHERE fact_days.day IS NOT NULL AND ("
        f"NOT EXISTS (SELECT 1 FROM sale_days WHERE sale_days.day = fact_days.day) OR {marked_day} IS NULL) "
        f"UNION SELECT sale_days.day FROM sale_days WHERE sale_days.day IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM fact_days WHERE fact_days.day = sale_days.day)")
    range_params = [*brand_params, start, end, *brand_params, end]
    with database.cursor() as cursor:
        cursor.execute(sql, [*range_params, *range_params, *brand_params])
        # SQLite answers a raw query's dates as text.
        return {day if isinstance(day, date) else date.fromisoformat(day) for day, in cursor.fetchall()}


def days_to_count_from_facts(state: RollupState, *, start: date | None = None, end: date,
                             brand_id: int | None = None) -> set[date]:
    """The days in [start, end] whose daily sums a report can't trust and the rollup's heal rebuilds: none when the
    last run to commit was this release's (``state.sales_healed``: its heal rebuilt every stale day, it writes
    only days whose facts and sums agree, and no run wrote since), else ``days_with_stale_sales``. So the probes
    run only after a previous release's run, during a rolling deploy, until this release's next run."""
    if state.sales_healed:
        return set()
    return days_with_stale_sales(start=start, end=end, brand_id=brand_id)


def days_rolled_up_without_marks(today: date, state: RollupState) -> set[date]:
    """Past days the rollup must rebuild because a release before the order-count marks rolled them up during a
    rolling deploy (``days_to_count_from_facts``, all brands). Not bounded by age: a refund of an old order makes
    any past day dirty, and the previous release rebuilds it too."""
    return days_to_count_from_facts(state, end=today - timedelta(days=1))


def record_sales_healed(days_mark: RollupWatermark, healed: RollupWatermark | None) -> None:
    """This run healed (``days_rolled_up_without_marks``) and saved the days row: stamp the healed row with the
    days row's ``updated_at`` (``RollupState.of``), in the run's transaction. A queryset update: ``save()`` would
    stamp its own time. A first run creates the row without conflict (a second first run, which could not lock a row
    that did not exist yet, stamps it after the first commits)."""
    if healed is None:
        RollupWatermark.objects.bulk_create([RollupWatermark(source=SALES_HEALED_SOURCE)], ignore_conflicts=True)
    RollupWatermark.objects.filter(source=SALES_HEALED_SOURCE).update(built_through=days_mark.built_through,
                                                                      updated_at=days_mark.updated_at)


@transaction.atomic
def roll_up(*, now: datetime | None = None) -> RollupResult:
    """Bring the daily rollup up to yesterday (UTC). Today stays live in the raw facts."""
    today = utc_day(now or timezone.now())
    # One run at a time: the watermark rows are the lock.
    watermarks = {
        mark.source: mark
        for mark in RollupWatermark.objects.select_for_update()
        .filter(source__in=[*SOURCES, DAYS_SOURCE, SALES_HEALED_SOURCE]).order_by("pk")
    }
    days = {day for day in _take_dirty_days() if day < today}
    days.update(days_rolled_up_without_marks(
        today, RollupState.of(watermarks.get(DAYS_SOURCE), watermarks.get(SALES_HEALED_SOURCE))))
    for source, (model, timestamp) in SOURCES.items():
        mark = watermarks.get(source) or RollupWatermark.objects.create(source=source)
        new_rows = model.objects.filter(pk__gt=mark.last_id)
        highest = new_rows.aggregate(highest=Max("pk"))["highest"]
        if highest is None:
            continue
        days.update(
            day for day in new_rows.filter(pk__lte=highest).annotate(day=report_day(timestamp))
            .exclude(day__isnull=True).order_by().values_list("day", flat=True).distinct()
            if day < today
        )
        mark.last_id = highest
        mark.save(update_fields=["last_id", "updated_at"])
    days_mark = watermarks.get(DAYS_SOURCE) or RollupWatermark.objects.create(source=DAYS_SOURCE)
    if days_mark.built_through is not None:
        day = days_mark.built_through + timedelta(days=1)
        while day < today:
            days.add(day)
            day += timedelta(days=1)
    rows = sum(rebuild_day(day) for day in sorted(days))
    days_mark.built_through = today - timedelta(days=1)
    days_mark.save(update_fields=["built_through", "updated_at"])
    record_sales_healed(days_mark, watermarks.get(SALES_HEALED_SOURCE))
    return RollupResult(days_rebuilt=sorted(days), rows_written=rows)
