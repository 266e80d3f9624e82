"""``creators 0014_migsafety`` gives facts rolled up before ``0013_report2`` their order-count marks and their days'
sums one day per committed transaction; a run interrupted after some days and run again ends exactly as the
rollup writes them. Real commits: PostgreSQL only."""

import importlib
from datetime import timedelta

import pytest

from creators.models import DailySales, OrderLineFact
from creators.reports.rollup import roll_up
from tests.creators.helpers import LineSpec, make_order, mark_paid
from tests.creators.report_fixtures import DAY, NOW
from tests.factories import make_brand, make_product
from tests.migration_runs import Interrupted, batches_then_interrupted, is_applied, migrate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MIGRATION = importlib.import_module("creators.migrations.0014_migsafety")
BEFORE = [("creators", "0013_report2")]
MARKS = ("orders_by_brand", "orders_by_creator", "orders_by_page", "orders_by_block", "orders_by_product")
SALES = ("day", "brand_id", "product_id", "currency", "units", "gmv", *MARKS)
DAYS = [(DAY - timedelta(days=2)).date(), (DAY - timedelta(days=1)).date(), DAY.date()]


def _three_days_of_orders() -> None:
    """Each day: an order of two lamps and a Globex mug on three lines, and an order of one lamp."""
    lamp = make_product(brand=make_brand("Acme"), title="Lamp", variants=[("LAMP-1", "30.00", 100)])
    mug = make_product(brand=make_brand("Globex"), title="Mug", variants=[("MUG-1", "12.00", 100)])
    for number in range(3):
        day = DAY - timedelta(days=2 - number)
        for lines in ([LineSpec(lamp, "30.00"), LineSpec(lamp, "30.00"), LineSpec(mug, "12.00")],
                      [LineSpec(lamp, "30.00")]):
            mark_paid(make_order(*lines, created_at=day), at=day)
    roll_up(now=NOW)


def _marks() -> list[tuple]:
    return sorted(OrderLineFact.objects.values_list("day", "order_line_id", *MARKS))


def _sales() -> list[tuple]:
    return sorted(DailySales.objects.values_list(*SALES), key=repr)


def test_the_marks_and_sums_run_a_day_per_transaction_and_a_rerun_after_an_interruption_finishes_them(monkeypatch):
    _three_days_of_orders()
    marks, sales = _marks(), _sales()
    # Each day: Acme's lamp lines of the first order (marks on the first), its second order, Globex's mug.
    assert [(row[0], row[2:]) for row in marks if row[2]] == [(day, (1, 1, 1, 1, 1)) for day in DAYS for _ in range(3)]
    assert len(sales) == 6 and sum(row[6] for row in sales) == 9
    try:
        migrate(BEFORE)
        OrderLineFact.objects.update(**{mark: 0 for mark in MARKS})  # as rolled up before 0013
        DailySales.objects.all().delete()
        monkeypatch.setattr(MIGRATION, "transaction", batches_then_interrupted(1))

        with pytest.raises(Interrupted):
            migrate()

        # The oldest day is done and committed, the others untouched; the migration is not recorded.
        assert _marks() == [row if row[0] == DAYS[0] else (*row[:2], 0, 0, 0, 0, 0) for row in marks]
        assert _sales() == [row for row in sales if row[0] == DAYS[0]]
        assert not is_applied("creators", "0014_migsafety")

        monkeypatch.undo()
        migrate()

        assert is_applied("creators", "0014_migsafety")
        assert _marks() == marks
        assert _sales() == sales
        migrate(BEFORE)
        migrate()  # again: every day has its sums, nothing is written twice
        assert _sales() == sales
    finally:
        monkeypatch.undo()
        migrate()
