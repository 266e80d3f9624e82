"""Reports read from the replica (DATABASE_REPLICA_URL); every other read and every write stays on the
primary. The replica here is a second connection to the test database (DATABASE_REPLICA_URL = DATABASE_URL
in another process), as a streaming replica is a second server with the same data."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from creators.models import Click
from operations.db_router import ReplicaRouter, replica_reads
from settings.env import replica_database
from tests.creators.report_fixtures import DAY, EXPECTED_ACME_ROW, build_world
from tests.support.servers import database_url

ROOT = Path(__file__).resolve().parents[2]


_REPORT = """
import json, sys, django
from datetime import date
django.setup()
from django.db import connections
from django.test.utils import CaptureQueriesContext
from creators.reports.queries import ReportFilters, build_report
filters = ReportFilters(start=date.fromisoformat(sys.argv[1]), end=date.fromisoformat(sys.argv[1]),
                        group_by="creator", brand_ids=frozenset({int(sys.argv[2])}))
with CaptureQueriesContext(connections["replica"]) as replica, CaptureQueriesContext(connections["default"]) as primary:
    report = build_report(filters)
print(json.dumps({"replica": len(replica.captured_queries), "primary": len(primary.captured_queries),
                  "first": [query["sql"] for query in replica.captured_queries[:2]], "vendor": connections["replica"].vendor,
                  "orders": report.rows[0].orders, "clicks": report.rows[0].clicks}))
"""


@pytest.mark.django_db(transaction=True)
def test_with_a_replica_url_a_brand_report_reads_only_from_the_replica(wagtail_base_data, site_tree):
    world = build_world()
    url = database_url()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": url, "DATABASE_REPLICA_URL": url}

    ran = subprocess.run([sys.executable, "-c", _REPORT, DAY.date().isoformat(), str(world.acme_product.brand_id)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert ran.returncode == 0, ran.stderr[-2000:]
    counts = json.loads(ran.stdout.strip().splitlines()[-1])
    assert counts["primary"] == 0 and counts["replica"] > 0
    if counts["vendor"] == "postgresql":  # its reads share one snapshot, on the replica (a hot standby serves it)
        assert counts["first"] == ["BEGIN", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"]
    assert (counts["orders"], counts["clicks"]) == (EXPECTED_ACME_ROW["orders"], EXPECTED_ACME_ROW["clicks"])


@pytest.mark.django_db
def test_only_reads_inside_replica_reads_go_to_the_replica_and_writes_never(monkeypatch):
    router = ReplicaRouter()
    monkeypatch.setitem(connections.databases, "replica", connections.databases["default"])

    assert Click.objects.all().db == "default"
    with replica_reads():
        assert Click.objects.all().db == "replica"
        assert router.db_for_write(Click) == "default"
    assert Click.objects.all().db == "default"
    assert router.allow_migrate("replica", "creators") is False
    assert router.allow_migrate("default", "creators") is None


def test_without_a_replica_url_report_reads_stay_on_the_primary():
    assert replica_database("") == {}
    assert "replica" not in connections.databases
    with replica_reads():
        assert ReplicaRouter().db_for_read(Click) is None
    replica = replica_database("postgres://kolshop@replica.internal:5432/kolshop")["replica"]
    assert (replica["HOST"], replica["NAME"], replica["TEST"]) == ("replica.internal", "kolshop", {"MIRROR": "default"})
