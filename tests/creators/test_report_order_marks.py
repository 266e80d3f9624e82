"""One-brand reports sum the rollup's order-count marks (DailySales); the figures equal distinct orders
counted live and over the order-line facts, for orders of several lines and brands."""

from datetime import timedelta
from decimal import Decimal

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from creators.models import DailySales, OrderLineFact
from creators.reports.queries import ReportFilters, build_report
from creators.reports.rollup import roll_up
from creators.services.attribution import attribute_order
from tests.creators.helpers import LineSpec, make_order, mark_paid
from tests.creators.report_fixtures import DAY, NOW, build_world
from tests.factories import make_product

pytestmark = pytest.mark.django_db

GROUPINGS = ("creator", "page", "block", "product", "day")


def _figures(report) -> dict:
    return {
        "rows": sorted((row.label, row.orders, row.units, row.gmv) for row in report.rows),
        "totals": [(row.orders, row.units, row.gmv) for row in report.totals],
        "daily": [(row.label, row.orders) for row in report.daily],
    }


@pytest.fixture
def world():
    """build_world's orders, plus an order of two Acme products and a Globex one (one block each), and an
    order of two units of one Acme product on two lines."""
    world = build_world()
    acme_second = make_product(brand=world.acme_product.brand, title="Acme Lamp",
                               variants=[("ACME-2", "30.00", 50)])
    spec = {"creator": world.creator, "page_id": world.guide_id}
    orders = [
        make_order(LineSpec(world.acme_product, "100.00", block_id="blk-a", **spec),
                   LineSpec(acme_second, "30.00", block_id="blk-a", **spec),
                   LineSpec(world.globex_product, "50.00", block_id="blk-b", **spec),
                   email="multi@private.example", created_at=DAY),
        make_order(LineSpec(world.acme_product, "100.00", block_id="blk-a", **spec),
                   LineSpec(world.acme_product, "100.00", block_id="blk-a", **spec),
                   email="twice@private.example", created_at=DAY),
    ]
    for order in orders:
        attribute_order(order, now=DAY)
        mark_paid(order, at=DAY)
    return world


@pytest.mark.parametrize("group_by", GROUPINGS)
def test_summed_marks_equal_distinct_orders_at_every_grouping(world, group_by):
    filters = ReportFilters(start=DAY.date(), end=DAY.date(), group_by=group_by,
                            brand_ids=frozenset({world.acme_product.brand_id}))
    live = _figures(build_report(filters))

    roll_up(now=NOW)
    rolled = _figures(build_report(filters))
    # The creator filter reads the order-line facts with COUNT(DISTINCT order_id): the same figures.
    distinct = _figures(build_report(ReportFilters(**{**filters.__dict__, "creator_id": world.creator.pk})))

    assert rolled == live
    if group_by == "creator":
        assert distinct == rolled
    # Acme: build_world's 6 orders, the three-line order once, the two-line order once.
    assert rolled["totals"] == [(8, 10, Decimal("930.00"))]


def test_daily_sales_hold_one_row_per_day_and_dimension(world):
    roll_up(now=NOW)

    acme_speaker = DailySales.objects.filter(day=DAY.date(), product_id=world.acme_product.pk)
    sums = {name: sum(getattr(row, name) for row in acme_speaker)
            for name in ("units", "gmv", "orders_by_brand", "orders_by_product")}
    # The speaker's 9 lines belong to 8 orders (one order has it on two lines): 8 marks each way.
    assert sums == {"units": 9, "gmv": Decimal("900.00"), "orders_by_brand": 8, "orders_by_product": 8}
    assert not DailySales.objects.filter(day=DAY.date() - timedelta(days=1)).exists()


MARKS = ("orders_by_brand", "orders_by_creator", "orders_by_page", "orders_by_block", "orders_by_product")
SALES = ("day", "brand_id", "creator_id", "page_id", "block_id", "product_id", "currency", "units", "gmv", "refunds",
         "commission", *MARKS)


def test_the_migration_gives_rows_rolled_up_before_it_the_marks_and_sums_the_rollup_writes(world):
    roll_up(now=NOW)
    marks = sorted(OrderLineFact.objects.values_list("order_line_id", *MARKS))
    sales = sorted(DailySales.objects.values_list(*SALES), key=repr)
    OrderLineFact.objects.update(**{mark: 0 for mark in MARKS})  # as a database rolled up before 0013 holds them
    DailySales.objects.all().delete()

    importlib.import_module("creators.migrations.0014_migsafety").sum_existing(
        apps, SimpleNamespace(connection=connection))

    assert sorted(OrderLineFact.objects.values_list("order_line_id", *MARKS)) == marks
    assert sorted(DailySales.objects.values_list(*SALES), key=repr) == sales
    assert sum(row[1] for row in marks) > 0 and len(sales) > 1
