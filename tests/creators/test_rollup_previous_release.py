"""During a rolling deploy the previous release's hourly rollup, on an old worker, writes order-line facts without
order-count marks (the columns' database default, 0) and knows no ``DailySales``. The next run of this release's
rollup rebuilds those days; until it has, brand reports count those days from the facts
(``rollup.days_with_stale_sales``), so they already show what this release alone would."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from creators.models import DailySales, OrderLineFact
from creators.reports import rollup
from creators.reports.queries import ReportFilters, build_report
from creators.reports.rollup import roll_up
from tests.creators.helpers import refund_lines
from tests.creators.report_fixtures import DAY, NOW, add_lamp_order, build_world, previous_release_roll_up

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def _brand_report(brand_id: int) -> dict:
    report = build_report(ReportFilters(start=DAY.date() - timedelta(days=2), end=DAY.date(), group_by="product",
                                        brand_ids=frozenset({brand_id})))
    return {
        "rows": sorted((row.label, row.orders, row.units, row.gmv, row.refunds) for row in report.rows),
        "totals": [(row.orders, row.units, row.gmv, row.refunds) for row in report.totals],
    }


def _this_release_alone(brand_id: int, *, now) -> dict:
    """The report after this release's rollup ran instead of the previous one's (rolled back afterwards)."""
    with transaction.atomic():
        roll_up(now=now)
        figures = _brand_report(brand_id)
        transaction.set_rollback(True)
    return figures


@pytest.fixture
def world():
    """build_world's orders (Acme 6 × 100.00, one refunded 40.00; Globex 1 × 50.00), plus an order of two
    lines of a second Acme product and a Globex line."""
    return add_lamp_order(build_world())


ACME_BEFORE_REFUND = {
    "rows": [("Acme Speaker", 6, 6, Decimal("600.00"), Decimal("40.00")),
             ("Other (rows under 5 orders)", 1, 2, Decimal("60.00"), Decimal("0.00")),  # the lamp
             ("Page views (no product)", 0, 0, Decimal("0.00"), Decimal("0.00"))],
    "totals": [(7, 8, Decimal("660.00"), Decimal("40.00"))],
}


def test_a_day_the_previous_release_rolled_up_first_gets_its_marks_and_daily_sums(world, monkeypatch):
    acme = world.acme_product.brand_id
    expected = _this_release_alone(acme, now=NOW)
    assert previous_release_roll_up(monkeypatch, now=NOW) == [DAY.date()]
    assert not DailySales.objects.exists()
    # Before the heal the day has facts and no daily sums: the report counts it from the facts. (The simulated
    # run writes no event rows, so the page views' row, which has no sales, is not there yet.)
    assert rollup.days_with_stale_sales(end=DAY.date(), brand_id=acme) == {DAY.date()}
    assert _brand_report(acme) == {"rows": expected["rows"][:2], "totals": expected["totals"]}

    result = roll_up(now=NOW + HOUR)

    # No new fact, no dirty day, built_through already yesterday: only the healed day.
    assert result.days_rebuilt == [DAY.date()]
    assert _brand_report(acme) == expected == ACME_BEFORE_REFUND
    assert sum(OrderLineFact.objects.values_list("orders_by_brand", flat=True)) == 9  # Acme 7 + Globex 2


def test_a_day_summed_then_rewritten_by_the_previous_release_gets_fresh_daily_sums(world, monkeypatch):
    acme = world.acme_product.brand_id
    roll_up(now=NOW)
    assert _brand_report(acme) == ACME_BEFORE_REFUND
    lamp_lines = world.orders[-1].lines.filter(variant__sku="ACME-2").order_by("pk")
    refund_lines(world.orders[-1], {lamp_lines[1].pk: "30.00"})  # settles later: the day is rebuilt
    expected = _this_release_alone(acme, now=NOW + HOUR)
    assert previous_release_roll_up(monkeypatch, now=NOW + HOUR) == [DAY.date()]
    # The facts have the refund and no marks; the daily sums are those before it. The report counts the
    # day from the facts: the folded lamp row and the total both have the refund.
    assert not OrderLineFact.objects.filter(orders_by_brand=1).exists()
    assert DailySales.objects.filter(brand_id=acme).values_list("refunds", flat=True).get(
        product_id=world.acme_product.pk) == Decimal("40.00")
    assert _brand_report(acme) == expected

    result = roll_up(now=NOW + 2 * HOUR)

    assert result.days_rebuilt == [DAY.date()]
    assert _brand_report(acme) == expected == {
        "rows": [("Acme Speaker", 6, 6, Decimal("600.00"), Decimal("40.00")),
                 ("Other (rows under 5 orders)", 1, 2, Decimal("60.00"), Decimal("30.00")),
                 ("Page views (no product)", 0, 0, Decimal("0.00"), Decimal("0.00"))],
        "totals": [(7, 8, Decimal("660.00"), Decimal("70.00"))],
    }


def test_an_ordinary_run_rebuilds_no_extra_day(world):
    assert roll_up(now=NOW).days_rebuilt == [DAY.date()]

    assert roll_up(now=NOW + HOUR).days_rebuilt == []
    assert roll_up(now=NOW + timedelta(days=1)).days_rebuilt == [NOW.date()]
    assert rollup.rollup_state() == rollup.RollupState(built_through=NOW.date(), sales_healed=True)
    assert rollup.days_rolled_up_without_marks(NOW.date() + timedelta(days=2), rollup.rollup_state()) == set()
    assert rollup.days_with_stale_sales(end=NOW.date(), brand_id=world.acme_product.brand_id) == set()
