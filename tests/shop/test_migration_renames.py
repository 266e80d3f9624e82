"""A migration renamed after it shipped: a database that recorded the old name takes the new one as applied and
runs nothing again (shop 0028 shipped as ``0028_tidy3``; ``replaces`` names it)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from tests.migration_runs import is_applied, migrate

pytestmark = pytest.mark.django_db

OLD_NAME = ("shop", "0028_tidy3")
NEW_NAME = ("shop", "0028_drop_payment_dispute_closed_at")


def recorded_as_shipped() -> None:
    """The django_migrations rows of a database migrated by the release that shipped 0028 as ``0028_tidy3``."""
    recorded = MigrationRecorder(connection).migration_qs
    recorded.filter(app=NEW_NAME[0], name=NEW_NAME[1]).delete()
    recorded.get_or_create(app=OLD_NAME[0], name=OLD_NAME[1])


def payment_columns() -> set[str]:
    with connection.cursor() as cursor:
        return {column.name for column in connection.introspection.get_table_description(cursor, "shop_payment")}


def test_a_database_recorded_at_the_old_name_runs_nothing_again_and_records_the_new_name():
    recorded_as_shipped()
    assert not is_applied(*NEW_NAME)

    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []  # nothing to drop twice
    migrate()  # dropping the column a second time would raise here

    assert is_applied(*NEW_NAME) and is_applied(*OLD_NAME)
    assert "dispute_closed_at" not in payment_columns()
