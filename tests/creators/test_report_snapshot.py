"""A report's statements read one snapshot on PostgreSQL (``operations.db_router.one_snapshot``): a change another
connection commits while the report is being built shows in none of its parts, so its rows, labels, total and
days describe one moment."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from creators.models import CreatorProfile
from creators.reports import queries
from creators.reports.queries import ReportFilters, build_report
from creators.reports.rollup import roll_up
from tests.creators.report_fixtures import DAY, NOW, build_world
from tests.support.threads import on_another_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_rename_committed_while_the_report_is_built_is_not_in_it(wagtail_base_data, site_tree, monkeypatch):
    world = build_world()
    roll_up(now=NOW)
    label_rows = queries._label_rows

    def rename_then_label(rows, group_by):
        # After the figures were read, before the labels are: another process renames the creator.
        on_another_connection(
            lambda: CreatorProfile.objects.filter(pk=world.creator.pk).update(display_name="Renamed")).join()
        label_rows(rows, group_by)

    monkeypatch.setattr(queries, "_label_rows", rename_then_label)
    filters = ReportFilters(start=DAY.date(), end=DAY.date(), group_by="creator",
                            brand_ids=frozenset({world.acme_product.brand_id}))

    with CaptureQueriesContext(connection) as captured:
        report = build_report(filters)

    assert [query["sql"] for query in captured.captured_queries[:2]] == [
        "BEGIN", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"]
    assert captured.captured_queries[-1]["sql"] == "COMMIT"
    assert [(row.label, row.orders) for row in report.rows] == [(world.creator.display_name, 6)]
    assert world.creator.display_name != "Renamed"
    monkeypatch.setattr(queries, "_label_rows", label_rows)
    assert [row.label for row in build_report(filters).rows] == ["Renamed"]  # the next report reads it
