"""A brand report agrees with itself and with what happened: its total is the sum of the rows it shows (each
order counted once), its days add up to the total, whichever source each day was read from (the daily sums, or
the facts of a day whose sums a previous release left stale or missing)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from creators.reports.queries import GROUPINGS, Report, ReportFilters, build_report
from creators.reports.rollup import days_with_stale_sales, roll_up
from creators.services.attribution import attribute_order
from tests.creators.helpers import LineSpec, make_order, mark_paid, refund_lines
from tests.creators.report_fixtures import DAY, NOW, add_lamp_order, build_world, previous_release_roll_up

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
NEXT_DAY = DAY + timedelta(days=1)
SUMMED = ("units", "gmv", "refunds", "commission")


def _figures(row) -> tuple:
    return (row.orders, row.units, row.gmv, row.refunds, row.commission)


def _report(world, group_by: str, *, brand: str = "acme") -> Report:
    brand_ids = None if brand == "all" else frozenset({getattr(world, f"{brand}_product").brand_id})
    return build_report(ReportFilters(start=DAY.date() - timedelta(days=2), end=NEXT_DAY.date(), group_by=group_by,
                                      brand_ids=brand_ids))


def _totals_of(report: Report) -> tuple:
    """The one currency's total, after checking it is what the rows and the days it shows add up to."""
    [total] = report.totals
    for name in SUMMED:
        assert sum((getattr(row, name) for row in report.rows), type(getattr(total, name))()) == getattr(total, name)
        assert sum((getattr(row, name) for row in report.daily), type(getattr(total, name))()) == getattr(total, name)
    # An order is one order in each day and each creator's row (its lines share both), and once in the total.
    assert sum(row.orders for row in report.daily) == total.orders
    if report.filters.group_by in ("day", "creator"):
        assert sum(row.orders for row in report.rows) == total.orders
    return _figures(total)


def _refund_a_lamp_line(world) -> None:
    lamp_line = world.orders[-1].lines.filter(variant__sku="ACME-2").order_by("pk").last()
    refund_lines(world.orders[-1], {lamp_line.pk: "30.00"})


@pytest.fixture
def world():
    """build_world (Acme 6 × 100.00, one refunded 40.00, commission 56.00; Globex 1 × 50.00, commission 5.00)
    plus a three-line, two-brand order (Acme Lamp 2 × 30.00, Globex Tent 50.00); the tests refund a lamp line."""
    return add_lamp_order(build_world())


# Acme: 7 orders, 8 units, 660.00, refunds 40.00 + 30.00, commission 56.00.
ACME = (7, 8, Decimal("660.00"), Decimal("70.00"), Decimal("56.00"))


@pytest.mark.parametrize("group_by", sorted(GROUPINGS))
def test_every_grouping_of_a_rolled_up_report_totals_its_rows(world, group_by):
    _refund_a_lamp_line(world)
    roll_up(now=NOW)

    assert days_with_stale_sales(end=DAY.date(), brand_id=world.acme_product.brand_id) == set()
    assert _totals_of(_report(world, group_by)) == ACME
    # Every brand (read from the facts): 8 orders, 10 units, 760.00, the same refunds, commission 56.00 + 5.00.
    assert _totals_of(_report(world, group_by, brand="all")) == (
        8, 10, Decimal("760.00"), Decimal("70.00"), Decimal("61.00"))


def test_a_product_report_shows_each_product_and_the_total_of_them(world):
    _refund_a_lamp_line(world)
    roll_up(now=NOW)

    report = _report(world, "product")

    assert sorted((row.label, *_figures(row)) for row in report.rows) == [
        ("Acme Speaker", 6, 6, Decimal("600.00"), Decimal("40.00"), Decimal("56.00")),
        ("Other (rows under 5 orders)", 1, 2, Decimal("60.00"), Decimal("30.00"), Decimal("0.00")),  # the lamp
        ("Page views (no product)", 0, 0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    assert _totals_of(report) == ACME


@pytest.mark.parametrize("group_by", sorted(GROUPINGS))
def test_a_day_the_previous_release_rewrote_after_a_refund_totals_its_rows(world, monkeypatch, group_by):
    """The day was summed before the lamp refund settled; the previous release then rewrote its facts (with the
    refund, no marks) and left the sums from before it. Its products' rows would come from the facts (the folded
    lamp) and the total from the stale sums."""
    roll_up(now=NOW)
    _refund_a_lamp_line(world)  # settles later: the day is rebuilt, here by the previous release
    assert previous_release_roll_up(monkeypatch, now=NOW + HOUR) == [DAY.date()]
    assert days_with_stale_sales(end=DAY.date(), brand_id=world.acme_product.brand_id) == {DAY.date()}

    assert _totals_of(_report(world, group_by)) == ACME

    roll_up(now=NOW + 2 * HOUR)  # the heal
    assert days_with_stale_sales(end=DAY.date(), brand_id=world.acme_product.brand_id) == set()
    assert _totals_of(_report(world, group_by)) == ACME


def test_a_range_with_a_summed_day_and_a_day_only_the_previous_release_rolled_up(world, monkeypatch):
    """Day one is summed by this release; day two's facts come from the previous release alone (no sums): one
    report reads day one's sums and day two's facts, and still adds up."""
    _refund_a_lamp_line(world)
    roll_up(now=NOW)
    spec = {"creator": world.creator, "page_id": world.guide_id, "block_id": "blk-a"}
    lamp = world.orders[-1].lines.filter(variant__sku="ACME-2").first().variant.product
    order = make_order(LineSpec(world.acme_product, "100.00", **spec), LineSpec(lamp, "30.00", **spec),
                       email="second-day@private.example", created_at=NEXT_DAY)
    attribute_order(order, now=NEXT_DAY)
    mark_paid(order, at=NEXT_DAY)
    assert previous_release_roll_up(monkeypatch, now=NOW + HOUR) == [NEXT_DAY.date()]
    acme = world.acme_product.brand_id
    assert days_with_stale_sales(start=DAY.date(), end=NEXT_DAY.date(), brand_id=acme) == {NEXT_DAY.date()}

    report = _report(world, "day")

    assert [(row.label, *_figures(row)) for row in report.daily] == [
        (DAY.date().isoformat(), *ACME),
        (NEXT_DAY.date().isoformat(), 1, 2, Decimal("130.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    assert _totals_of(report) == (8, 10, Decimal("790.00"), Decimal("70.00"), Decimal("56.00"))
    product = _report(world, "product")
    assert sorted((row.label, *_figures(row)) for row in product.rows) == [
        ("Acme Speaker", 7, 7, Decimal("700.00"), Decimal("40.00"), Decimal("56.00")),
        ("Other (rows under 5 orders)", 2, 3, Decimal("90.00"), Decimal("30.00"), Decimal("0.00")),
        ("Page views (no product)", 0, 0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    ]
    assert _totals_of(product) == (8, 10, Decimal("790.00"), Decimal("70.00"), Decimal("56.00"))
