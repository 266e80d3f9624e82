"""The report reads each source once for its rows, total and days (GROUPING SETS on PostgreSQL, one
query per grouping elsewhere), and every grouping keeps the figures its own GROUP BY gives."""

from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from creators.models import DailyPerformance, OrderLineFact, TrackedLink
from creators.reports import figures
from creators.reports.facts import ORDER_LINE_COLUMNS, order_line_facts
from creators.reports.grouping_sets import aggregate_by_sets
from creators.reports.queries import EVENT_METRICS, ReportFilters, build_report
from creators.reports.rollup import roll_up
from tests.creators.report_fixtures import DAY, NOW, add_clicks, add_two_brand_and_direct_orders, build_world

pytestmark = pytest.mark.django_db
NEXT_DAY = DAY + timedelta(days=1)


@pytest.fixture
def world():
    """The hand-counted week, plus on the next day one order holding both brands' products (one order,
    two product rows) and one unattributed order (a row whose creator is NULL)."""
    world = build_world()
    add_clicks(TrackedLink.objects.get(code="acme-blk"), 2, when=NEXT_DAY)
    add_two_brand_and_direct_orders(world, at_time=NEXT_DAY)
    return world


SETS = [("creator_id", "product_id", "currency"), ("currency",), ("day", "currency")]


def _per_set(queryset, sets, aggregates) -> dict:
    return {names: list(queryset.values(*names).annotate(**aggregates).order_by()) for names in sets}


def _sorted(results: dict) -> dict:
    return {names: sorted(rows, key=str) for names, rows in results.items()}


def test_each_grouping_set_has_the_figures_of_its_own_group_by(world):
    roll_up(now=NOW)
    start = datetime(2026, 11, 1, tzinfo=dt_timezone.utc)
    sources = [
        (OrderLineFact.objects.all(), SETS, figures.order_figures()),
        (DailyPerformance.objects.all(), SETS, {name: Sum(name) for name in EVENT_METRICS}),
        (order_line_facts(start, NOW), [tuple(ORDER_LINE_COLUMNS[name.removesuffix("_id")] for name in names)
                                        for names in SETS], figures.order_figures()),
    ]
    for queryset, sets, aggregates in sources:
        assert _sorted(aggregate_by_sets(queryset, sets, aggregates)) == _sorted(_per_set(queryset, sets, aggregates))


def test_an_order_of_two_products_is_one_order_in_the_total_and_the_day_and_one_in_each_product_row(world):
    roll_up(now=NOW)
    filters = ReportFilters(start=DAY.date(), end=NEXT_DAY.date(), group_by="product")

    report = build_report(filters)

    orders_by_product = {row.label: (row.orders, row.units, row.gmv) for row in report.rows}
    assert orders_by_product == {"Acme Speaker": (8, 8, Decimal("800.00")),
                                 "Other (rows under 5 orders)": (2, 3, Decimal("150.00")),  # the tent
                                 "Page views (no product)": (0, 0, Decimal("0.00"))}
    assert [(row.orders, row.units, row.gmv) for row in report.totals] == [(9, 11, Decimal("950.00"))]
    assert [(row.label, row.orders, row.gmv) for row in report.daily] == [
        ("2026-11-20", 7, Decimal("650.00")), ("2026-11-21", 2, Decimal("300.00"))]


def test_each_source_is_read_once_on_postgresql_and_once_per_grouping_elsewhere(world):
    roll_up(now=NOW)
    filters = ReportFilters(start=DAY.date(), end=DAY.date(), group_by="product",
                            brand_ids=frozenset({world.acme_product.brand_id}))  # one row of 6 orders: none folded
    build_report(filters)  # warm-up

    with CaptureQueriesContext(connection) as captured:
        build_report(filters)

    grouped = [query["sql"] for query in captured.captured_queries if "GROUP BY" in query["sql"]]
    if connection.vendor == "postgresql":
        # the rollup's events and order lines: one query each for rows, total and days
        assert len(grouped) == 2
        assert all("GROUPING SETS" in sql for sql in grouped)
    else:
        assert len(grouped) == 6


def test_a_report_over_no_brand_is_empty_on_every_database(world):
    """A brand user with no brand: a filter no row passes (Django raises EmptyResultSet while compiling)."""
    roll_up(now=NOW)

    report = build_report(ReportFilters(start=DAY.date() - timedelta(days=1), end=NOW.date(), brand_ids=frozenset()))

    assert (report.rows, report.totals, report.daily) == ([], [], [])


def _loops_of(plan: dict, relation: str) -> list[int]:
    return [*([plan["Actual Loops"]] if plan.get("Relation Name") == relation else []),
            *(loops for child in plan.get("Plans", []) for loops in _loops_of(child, relation))]


@pytest.mark.postgres
def test_the_live_lines_refunds_and_commission_are_read_once_per_line_on_postgresql(world):
    """Grouping sets sorted twice (as at a day's volume: no hash aggregate) would run an aggregate's
    per-line subqueries once per sort; the lines are computed once in an inner query instead."""
    start = datetime(2026, 11, 1, tzinfo=dt_timezone.utc)
    lines = order_line_facts(start, NOW)
    sets = [tuple(ORDER_LINE_COLUMNS[name.removesuffix("_id")] for name in names) for names in SETS]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashagg = off")
    with CaptureQueriesContext(connection) as captured:
        aggregate_by_sets(lines, sets, figures.order_figures())
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + captured.captured_queries[0]["sql"])
        plan = cursor.fetchone()[0][0]["Plan"]

    assert len(captured.captured_queries) == 1
    assert lines.count() == 10
    assert _loops_of(plan, "shop_refundline") == [10]
    assert _loops_of(plan, "creators_ledgerentry") == [10]


@pytest.mark.postgres
def test_the_live_lines_attribution_is_joined_once_per_line_and_only_when_a_grouping_uses_it_on_postgresql(world):
    """A line's decision (creator, page, block) is one join, however many of its columns the sets group by or the
    filters name; a grouping without them (product, total, day) does not read the decisions at all."""
    start = datetime(2026, 11, 1, tzinfo=dt_timezone.utc)
    lines = order_line_facts(start, NOW).filter(attributed_creator_id__isnull=False)  # as a creator filter does
    by_block = [("attributed_creator_id", "attributed_page_id", "attributed_block_id", "currency"),
                ("attributed_page_id", "attributed_block_id", "currency"), ("currency",), ("day", "currency")]
    by_product = [("product_id", "currency"), ("currency",), ("day", "currency")]

    def attribution_loops(queryset, sets) -> list[int]:
        with CaptureQueriesContext(connection) as captured:
            aggregate_by_sets(queryset, sets, figures.order_figures())
        assert len(captured.captured_queries) == 1
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + captured.captured_queries[0]["sql"])
            return _loops_of(cursor.fetchone()[0][0]["Plan"], "creators_orderlineattribution")

    attributed = lines.count()
    assert attributed == 9  # the direct order's line has no creator
    loops = attribution_loops(lines, by_block)
    # One scan of the decisions, whichever join the planner picks: a hash join reads the table once, an index probe
    # runs at most once a line (a subquery per column ran 6 times a line here: creator, and again in page and block).
    assert len(loops) == 1 and loops[0] <= order_line_facts(start, NOW).count()
    assert attribution_loops(order_line_facts(start, NOW), by_product) == []
    assert (_sorted(aggregate_by_sets(lines, by_block, figures.order_figures()))
            == _sorted(_per_set(lines, by_block, figures.order_figures())))
