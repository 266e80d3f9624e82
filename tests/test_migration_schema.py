"""A fresh install after one ``migrate`` (the test database) and a database migrated from an earlier state end with
the same schema (columns, types, defaults, indexes, constraints) and no model change without its migration."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from tests.migration_runs import is_applied, migrate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# How shop 0024, 0025 and creators 0013 left a database before they kept their columns' database defaults (stop 27).
STOP_27_DROPPED_DEFAULTS = {
    "shop_cart": ["checkouts_started"],
    "shop_voucher": ["reissue_unused", "remainder_source"],
    "creators_orderlinefact": ["orders_by_brand", "orders_by_creator", "orders_by_page", "orders_by_block",
                               "orders_by_product"],
}
BEFORE_THIS_STOP = [("shop", "0026_voucher_lapsed"), ("creators", "0013_report2")]
BEFORE_STOP_27 = [("shop", "0023_disputes2"), ("creators", "0012_partition")]
# The release that took Payment.dispute_closed_at out of the model but kept its column (shop 0027, state only).
BEFORE_THE_DROP = [("shop", "0027_migsafety")]


def schema() -> dict[str, list[tuple]]:
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default, character_maximum_length, "
                   "numeric_precision, numeric_scale, is_identity FROM information_schema.columns "
                   "WHERE table_schema = 'public'",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE connamespace = 'public'::regnamespace",
    }
    with connection.cursor() as cursor:
        found = {}
        for name, sql in queries.items():
            cursor.execute(sql)
            found[name] = sorted(cursor.fetchall(), key=repr)
    return found


def table_columns(found: dict[str, list[tuple]], table: str) -> set[str]:
    return {row[1] for row in found["columns"] if row[0] == table}


def test_models_have_every_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # SystemExit(1) on a missing migration


@pytest.mark.parametrize("before", [BEFORE_THIS_STOP, BEFORE_STOP_27], ids=["before_this_stop", "before_stop_27"])
def test_a_database_migrated_from_an_earlier_state_has_the_fresh_installs_schema(before):
    fresh = schema()
    assert ("shop_cart", "checkouts_started", "integer", "NO", "0", None, 32, 0, "NO") in fresh["columns"]
    assert {"id", "order_id", "disputed"} <= table_columns(fresh, "shop_payment")
    assert "dispute_closed_at" not in table_columns(fresh, "shop_payment")  # dropped by shop 0028

    migrate(before)
    if before is BEFORE_THIS_STOP:
        with connection.cursor() as cursor:
            for table, columns in STOP_27_DROPPED_DEFAULTS.items():
                for column in columns:
                    cursor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT")
    migrate()

    assert schema() == fresh


def test_reversing_the_drop_gives_the_column_back_and_migrating_again_drops_it():
    fresh = schema()

    migrate(BEFORE_THE_DROP)
    back = schema()
    assert ("shop_payment", "dispute_closed_at", "timestamp with time zone", "YES", None, None, None, None,
            "NO") in back["columns"]
    assert table_columns(back, "shop_payment") - table_columns(fresh, "shop_payment") == {"dispute_closed_at"}

    migrate()
    assert schema() == fresh


def test_a_database_that_applied_operations_0002_under_its_old_name_migrates_without_running_it_again():
    fresh = schema()
    migrate([("operations", "0002_owedcachesettle")])  # before 0003's claim columns
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied("operations", "0002_owedcachesettle")
    recorder.record_applied("operations", "0002_outage3")  # what a database migrated before stop 31 records

    migrate()  # would fail creating operations_owedcachesettle again if 0002 ran

    assert is_applied("operations", "0002_owedcachesettle") and is_applied("operations", "0003_owedcachesettle_claim")
    assert schema() == fresh
