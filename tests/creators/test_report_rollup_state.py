"""A one-brand report trusts the daily sums without probing them when the last rollup run to commit was this
release's (``rollup.RollupState.sales_healed``: the ``sales_healed`` row stamped with the ``days`` row's
``updated_at``). A previous release's run, in any process, saves the ``days`` row again: from then on reports
and the rollup's heal probe for stale days (``days_with_stale_sales``) until this release's next run heals."""

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from creators.models import RollupWatermark
from creators.reports import rollup
from creators.reports.queries import ReportFilters, build_report
from creators.reports.rollup import RollupState, roll_up, rollup_state
from tests.creators.helpers import refund_lines
from tests.creators.report_fixtures import DAY, NOW, add_lamp_order, build_world, previous_release_roll_up
from tests.support.servers import database_url

ROOT = Path(__file__).resolve().parents[2]
HOUR = timedelta(hours=1)
YESTERDAY = NOW.date() - timedelta(days=1)
# Acme: 7 orders, 8 units, 660.00; refunds 40.00 (+ 30.00 once the lamp line is refunded).
ACME = (7, 8, Decimal("660.00"), Decimal("40.00"))
ACME_AFTER_LAMP_REFUND = (7, 8, Decimal("660.00"), Decimal("70.00"))


def _acme_totals(world) -> tuple[tuple, bool]:
    """Acme's report total and whether building it probed for stale days."""
    filters = ReportFilters(start=DAY.date() - timedelta(days=2), end=NOW.date(), group_by="product",
                            brand_ids=frozenset({world.acme_product.brand_id}))
    with CaptureQueriesContext(connection) as queries:
        [total] = build_report(filters).totals
    probed = any("WITH RECURSIVE" in query["sql"] for query in queries.captured_queries)
    return (total.orders, total.units, total.gmv, total.refunds), probed


def _refund_a_lamp_line(world) -> None:
    lamp_line = world.orders[-1].lines.filter(variant__sku="ACME-2").order_by("pk").last()
    refund_lines(world.orders[-1], {lamp_line.pk: "30.00"})


@pytest.mark.django_db
def test_before_any_run_of_this_release_the_state_is_not_healed():
    assert rollup_state() == RollupState(built_through=None, sales_healed=False)


@pytest.mark.django_db
def test_this_release_run_stamps_the_state_and_reports_probe_nothing():
    world = add_lamp_order(build_world())

    roll_up(now=NOW)

    days, healed = (RollupWatermark.objects.get(source=source) for source in ("days", "sales_healed"))
    assert (healed.built_through, healed.updated_at) == (YESTERDAY, days.updated_at)
    assert rollup_state() == RollupState(built_through=YESTERDAY, sales_healed=True)
    assert _acme_totals(world) == (ACME, False)
    assert roll_up(now=NOW + HOUR).days_rebuilt == []  # the heal probes nothing either
    assert rollup_state() == RollupState(built_through=YESTERDAY, sales_healed=True)


@pytest.mark.django_db
def test_a_previous_release_run_clears_the_state_until_this_release_heals(monkeypatch):
    world = add_lamp_order(build_world())
    roll_up(now=NOW)
    _refund_a_lamp_line(world)  # settles later: the previous release rebuilds the day, its sums stay stale

    assert previous_release_roll_up(monkeypatch, now=NOW + HOUR) == [DAY.date()]

    assert rollup_state() == RollupState(built_through=YESTERDAY, sales_healed=False)
    # Counted from the facts (they have the refund); the stale sums say 40.00.
    assert _acme_totals(world) == (ACME_AFTER_LAMP_REFUND, True)

    assert roll_up(now=NOW + 2 * HOUR).days_rebuilt == [DAY.date()]  # the heal, by the same rule

    assert rollup_state() == RollupState(built_through=YESTERDAY, sales_healed=True)
    assert _acme_totals(world) == (ACME_AFTER_LAMP_REFUND, False)


_ROLL_UP = """
import sys, django
from datetime import datetime
django.setup()
import pytest
from creators.reports.rollup import roll_up
from tests.creators.report_fixtures import previous_release_roll_up
now = datetime.fromisoformat(sys.argv[2])
if sys.argv[1] == "previous":
    with pytest.MonkeyPatch.context() as monkeypatch:
        print(previous_release_roll_up(monkeypatch, now=now))
else:
    print(roll_up(now=now).days_rebuilt)
"""


def _roll_up_in_another_process(release: str, now) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url()}
    ran = subprocess.run([sys.executable, "-c", _ROLL_UP, release, now.isoformat()], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-2000:]
    return ran.stdout.strip().splitlines()[-1]


@pytest.mark.django_db(transaction=True)
def test_a_report_process_sees_another_process_previous_release_run_and_heal(wagtail_base_data, site_tree):
    """Two app processes: this one reports, the other runs the rollups. Nothing this process remembers can
    hide the other's run: the state is read with the report's other reads."""
    world = add_lamp_order(build_world())
    roll_up(now=NOW)
    assert _acme_totals(world) == (ACME, False)
    _refund_a_lamp_line(world)

    assert _roll_up_in_another_process("previous", NOW + HOUR) == f"[{DAY.date()!r}]"

    assert _acme_totals(world) == (ACME_AFTER_LAMP_REFUND, True)

    assert _roll_up_in_another_process("this", NOW + 2 * HOUR) == f"[{DAY.date()!r}]"

    assert _acme_totals(world) == (ACME_AFTER_LAMP_REFUND, False)
    assert rollup.days_with_stale_sales(end=YESTERDAY, brand_id=world.acme_product.brand_id) == set()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_runs_of_this_release_at_once_both_succeed_and_the_later_one_stamps(wagtail_base_data):
    import threading
    import time

    from django.db import connections, transaction

    # given a database the previous release rolled up (no sales_healed row yet)
    roll_up()
    RollupWatermark.objects.filter(source=rollup.SALES_HEALED_SOURCE).delete()
    errors = []

    def first():
        try:
            with transaction.atomic():
                roll_up()
                time.sleep(1.0)  # still holding the watermark rows' locks
        except Exception as error:  # noqa: BLE001 - the test reports every error
            errors.append(("first", repr(error)))
        finally:
            connections.close_all()

    def second():
        time.sleep(0.3)
        try:
            roll_up()
        except Exception as error:  # noqa: BLE001
            errors.append(("second", repr(error)))
        finally:
            connections.close_all()

    # when two of this release's first runs overlap
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then neither fails, and the state is healed (stamped by the run that committed last)
    assert errors == []
    assert rollup_state().sales_healed is True
