"""Brand reports: exact figures from hand-computed facts, live and rolled up alike."""

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from creators.models import DailyPerformance, OrderLineFact, PageView
from creators.reports.queries import OTHER_LABEL, ReportFilters, build_report
from creators.reports.rollup import roll_up
from tests.creators.report_fixtures import DAY, EXPECTED_ACME_ROW, NOW, add_views, build_world

pytestmark = pytest.mark.django_db

FIELDS = list(EXPECTED_ACME_ROW)


def figures(row) -> dict:
    return {name: getattr(row, name) for name in FIELDS}


def acme_filters(world, **overrides) -> ReportFilters:
    options = {"start": DAY.date(), "end": DAY.date(), "group_by": "creator",
               "brand_ids": frozenset({world.acme_product.brand_id})}
    return ReportFilters(**{**options, **overrides})


def rollup_rows(day: date) -> list[tuple]:
    events = DailyPerformance.objects.filter(day=day).values_list(
        "brand_id", "creator_id", "page_id", "block_id", "product_id", "views", "clicks", "add_to_carts")
    lines = OrderLineFact.objects.filter(day=day).values_list(
        "order_line_id", "order_id", "brand_id", "creator_id", "page_id", "block_id", "product_id", "units", "gmv",
        "refunds", "commission")
    return sorted(events, key=str) + sorted(lines, key=str)


@pytest.fixture
def world():
    return build_world()


def test_the_rollup_gives_the_hand_computed_figures(world):
    roll_up(now=NOW)

    report = build_report(acme_filters(world))

    assert [row.label for row in report.rows] == ["Mia"]
    assert figures(report.rows[0]) == EXPECTED_ACME_ROW
    assert figures(report.totals[0]) == EXPECTED_ACME_ROW


def test_live_figures_equal_rolled_up_figures(world):
    live = build_report(acme_filters(world))
    roll_up(now=NOW)
    rolled = build_report(acme_filters(world))

    assert figures(live.rows[0]) == figures(rolled.rows[0]) == EXPECTED_ACME_ROW


def test_rows_under_five_orders_are_folded_into_other_and_totals_still_add_up(world):
    roll_up(now=NOW)

    report = build_report(acme_filters(world, brand_ids=None, group_by="product"))

    labels = [row.label for row in report.rows]
    assert labels == ["Acme Speaker", "Page views (no product)", OTHER_LABEL]
    other = report.rows[-1]
    assert (other.orders, other.gmv, other.clicks) == (1, Decimal("50.00"), 2)
    assert "Globex Tent" not in labels
    total = report.totals[0]
    for name in ("views", "clicks", "add_to_carts", "orders", "units", "gmv", "refunds", "commission"):
        assert getattr(total, name) == sum(getattr(row, name) for row in report.rows), name
    assert total.gmv == Decimal("650.00")
    # The guide features both brands: its 10 views count once in a report spanning both, not once per brand.
    assert total.views == 10


def test_grouping_by_block_and_day(world):
    roll_up(now=NOW)

    by_block = build_report(acme_filters(world, group_by="block"))
    by_day = build_report(acme_filters(world, group_by="day", start=DAY.date() - timedelta(days=1)))

    block_rows = {row.key: row for row in by_block.rows}
    assert block_rows[(world.guide_id, "blk-a")].gmv == Decimal("600.00")
    assert block_rows[(world.guide_id, "")].views == 10
    assert [row.label for row in by_day.rows] == ["2026-11-20"]
    assert figures(by_day.rows[0]) == EXPECTED_ACME_ROW


def test_rollup_runs_are_idempotent_and_incremental(world):
    first = roll_up(now=NOW)
    snapshot = rollup_rows(DAY.date())

    second = roll_up(now=NOW)
    # the same page-view event delivered again is refused by its unique id, a new late one is added
    PageView.objects.bulk_create([PageView(event_id=PageView.objects.first().event_id, page_id=world.guide_id,
                                           viewed_at=DAY)], ignore_conflicts=True)
    add_views(world.guide_id, world.creator.pk, 1, when=DAY - timedelta(days=2), prefix="late")
    third = roll_up(now=NOW)

    assert first.days_rebuilt == [date(2026, 11, 20)]
    assert second.days_rebuilt == []
    assert third.days_rebuilt == [date(2026, 11, 18)]
    assert rollup_rows(DAY.date()) == snapshot
    assert build_report(acme_filters(world)).rows[0].views == 10


def test_every_whole_day_since_the_last_run_is_rebuilt(world):
    roll_up(now=NOW)
    later = NOW + timedelta(days=3)

    result = roll_up(now=later)

    assert result.days_rebuilt == [date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)]


def test_a_report_reads_the_rollup_not_the_raw_facts_for_past_days(world):
    roll_up(now=NOW)
    raw = mock.Mock(side_effect=AssertionError("raw facts read"))
    # The live order lines' statement is compiled once per process: what it reads shows in the SQL sent.
    with mock.patch("creators.reports.queries.event_facts", raw), CaptureQueriesContext(connection) as captured:
        report = build_report(acme_filters(world))
    assert figures(report.rows[0]) == EXPECTED_ACME_ROW
    raw_tables = ('"shop_orderline"', '"creators_click"', '"creators_pageview"', '"shop_addtocartevent"')
    assert not [query["sql"] for query in captured.captured_queries
                if any(f"FROM {table}" in query["sql"] for table in raw_tables)]
