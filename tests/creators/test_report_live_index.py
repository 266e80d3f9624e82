"""PostgreSQL: a brand report's live part (today, not rolled up yet) reads only the brand's facts, by index.

The activity comes from ``generate_report_data``'s SQL path (month partitions, orders of several lines and
brands) and the rollup job; the test captures the exact statements ``build_report`` runs and asks
PostgreSQL how it would run today's ones (as the per-buyer-limit test does).
"""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content.demo.report_data import generate
from creators.models import TrackedLink
from creators.reports.queries import ReportFilters, build_report, today_utc
from creators.reports.rollup import days_with_stale_sales, roll_up
from tests.creators.report_fixtures import add_clicks, build_world
from tests.shop.conftest import skip_unless_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

REPORT_QUERIES = 9  # no stale-day probe after this release's rollup run (rollup.RollupState.sales_healed)


@pytest.fixture(autouse=True)
def _postgres_only(site_tree):
    skip_unless_postgres()


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _statements(call) -> list[tuple[str, tuple]]:
    """The statements ``call`` runs, with their parameters (for EXPLAIN)."""
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        call()
    return statements


def test_todays_figures_are_read_for_the_brand_by_index():
    world = build_world()
    generate(clicks=60_000, orders=3_000, views=6_000, carts=3_000, days=120, seed=7, out=io.StringIO())
    roll_up()
    # Readers follow the brand's link today, whatever the time: the generator spreads its clicks over 120 days
    # (about one every three minutes), so just after midnight today often held none, the report then needed no
    # product-brand lookup for today's clicks and ran one query fewer than REPORT_QUERIES (the flake at 00:03 UTC).
    add_clicks(TrackedLink.objects.get(code="acme-blk"), 3, when=timezone.now())
    today = today_utc()
    filters = ReportFilters(start=today - timedelta(days=89), end=today,
                            brand_ids=frozenset({world.acme_product.brand_id}))
    build_report(filters)  # warm-up

    with CaptureQueriesContext(connection) as captured:
        report = build_report(filters)
    statements = _statements(lambda: build_report(filters))

    assert len(captured.captured_queries) == REPORT_QUERIES
    assert report.totals[0].orders > 0 and report.totals[0].clicks > 0
    live_clicks = [(sql, params) for sql, params in statements if 'FROM "creators_click"' in sql]
    live_lines = [(sql, params) for sql, params in statements if 'FROM "shop_orderline"' in sql]
    assert len(live_clicks) == 1 and len(live_lines) == 1
    click_sql, click_params = live_clicks[0]
    # The brand's clicks: its products' (by the product's brand), or a page's that features the brand.
    assert '"shop_product"' in click_sql and '"brand_id" IN' in click_sql
    click_plan = _plan(click_sql, click_params)
    assert "clicked_at_idx" in click_plan, click_plan
    assert "Seq Scan on creators_click" not in click_plan, click_plan
    line_sql, line_params = live_lines[0]
    assert '"shop_orderline"."brand_id" IN' in line_sql
    line_plan = _plan(line_sql, line_params)
    assert "order_paid_at_idx" in line_plan, line_plan
    assert "Seq Scan on shop_order " not in line_plan and "Seq Scan on shop_orderline" not in line_plan, line_plan
    assert not any(sql.startswith("WITH RECURSIVE") for sql, _ in statements)
    # The stale-sums check (run after a previous release's rollup run) probes the indexes a few times a day; it
    # never reads all of the brand's facts.
    [(check_sql, check_params)] = _statements(lambda: days_with_stale_sales(
        start=filters.start, end=today - timedelta(days=1), brand_id=world.acme_product.brand_id))
    check_plan = _plan(check_sql, check_params)
    assert "order_fact_brand_day_idx" in check_plan, check_plan
    for whole_table in ("Seq Scan on creators_orderlinefact", "Bitmap Heap Scan on creators_orderlinefact"):
        assert whole_table not in check_plan, check_plan
