"""During a rolling deploy the previous release's hourly rollup, on an old worker, writes order-line facts without
order-count marks (the columns' database default, 0) and knows no ``DailySales``. The next run of this release's
rollup rebuilds those days, so brand reports (read from ``DailySales``) show what this release alone writes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from creators.models import DailySales, OrderLineFact
from creators.reports import rollup
from creators.reports.queries import ReportFilters, build_report
from creators.reports.rollup import day_bounds, roll_up
from creators.services.attribution import attribute_order
from tests.creators.helpers import LineSpec, make_order, mark_paid, refund_lines
from tests.creators.report_fixtures import DAY, NOW, build_world
from tests.factories import make_product

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def _previous_release_rebuild_day(day: date) -> int:
    """The previous release's ``rebuild_day`` for sales: the day's facts replaced, no marks, no daily sums."""
    start, end = day_bounds(day)
    rows = rollup.order_line_facts(start, end).values(
        "pk", "day", "order_id", "brand_id", "attributed_creator_id", "attributed_page_id", "attributed_block_id",
        "product_id", "currency", "units", "gmv", "refunds", "commission")
    OrderLineFact.objects.filter(day=day).delete()
    OrderLineFact.objects.bulk_create(
        OrderLineFact(day=row["day"], order_id=row["order_id"], order_line_id=row["pk"], brand_id=row["brand_id"],
                      creator_id=row["attributed_creator_id"], page_id=row["attributed_page_id"],
                      block_id=row["attributed_block_id"], product_id=row["product_id"], currency=row["currency"],
                      units=row["units"], gmv=row["gmv"], refunds=row["refunds"], commission=row["commission"])
        for row in rows)
    return len(rows)


def _previous_release_roll_up(monkeypatch, *, now) -> list[date]:
    """A run of the previous release's rollup: it moves the watermarks and ``built_through`` as this one does."""
    with monkeypatch.context() as patched:
        patched.setattr(rollup, "rebuild_day", _previous_release_rebuild_day)
        patched.setattr(rollup, "days_rolled_up_without_marks", lambda today: set())
        return roll_up(now=now).days_rebuilt


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
    world = build_world()
    lamp = make_product(brand=world.acme_product.brand, title="Acme Lamp", variants=[("ACME-2", "30.00", 50)])
    spec = {"creator": world.creator, "page_id": world.guide_id, "block_id": "blk-a"}
    order = make_order(LineSpec(lamp, "30.00", **spec), LineSpec(lamp, "30.00", **spec),
                       LineSpec(world.globex_product, "50.00", **spec), email="multi@private.example", created_at=DAY)
    attribute_order(order, now=DAY)
    mark_paid(order, at=DAY)
    world.orders.append(order)
    return world


ACME_BEFORE_REFUND = {
    "rows": [("Acme Speaker", 6, 6, Decimal("600.00"), Decimal("40.00")),
             ("Other (rows under 5 orders)", 1, 2, Decimal("60.00"), Decimal("0.00")),  # the lamp
             ("Page views (no product)", 0, 0, Decimal("0.00"), Decimal("0.00"))],
    "totals": [(7, 8, Decimal("660.00"), Decimal("40.00"))],
}


def test_a_day_the_previous_release_rolled_up_first_gets_its_marks_and_daily_sums(world, monkeypatch):
    acme = world.acme_product.brand_id
    expected = _this_release_alone(acme, now=NOW)
    assert _previous_release_roll_up(monkeypatch, now=NOW) == [DAY.date()]
    assert not DailySales.objects.exists()

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
    assert _previous_release_roll_up(monkeypatch, now=NOW + HOUR) == [DAY.date()]
    # The facts have the refund and no marks; the daily sums, which the totals read, are those before it.
    assert _brand_report(acme)["totals"] == ACME_BEFORE_REFUND["totals"]
    assert not OrderLineFact.objects.filter(orders_by_brand=1).exists()

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
    assert rollup.days_rolled_up_without_marks(NOW.date() + timedelta(days=2)) == set()
