"""Rows rolled up before ``0013_report2`` get their order-count marks and their days' sums (as
``rollup.rebuild_day`` writes them), one day per transaction, while the previous release keeps serving.

Not atomic: each day commits on its own, so no lock is held on the whole table for the length of the backfill. A
day is done when it has ``DailySales`` rows (its marks are written in the same transaction), so a run that was
interrupted starts again where it stopped, and a day the current rollup already built is left as it is. Each
day's transaction first takes the rollup's lock (its watermark rows), so it never interleaves with a rollup run.
Set-based SQL: no row is loaded into Python. An order's lines are all paid on one day, so marks made day by day
equal marks over the whole table."""

from django.db import migrations, transaction

# The marks of ``creators.reports.facts.order_count_marks`` (1 on an order's first line among its lines sharing
# the grouping's dimensions), frozen here: column → the dimensions it partitions an order's lines by.
MARK_PARTITIONS = {
    "orders_by_brand": "brand_id",
    "orders_by_creator": "brand_id, creator_id",
    "orders_by_page": "brand_id, page_id",
    "orders_by_block": "brand_id, page_id, block_id",
    "orders_by_product": "brand_id, product_id",
}
SALES_KEY = "day, brand_id, creator_id, page_id, block_id, product_id, currency"
SALES_SUMS = ("units", "gmv", "refunds", "commission", *MARK_PARTITIONS)


def keep_database_defaults(apps, schema_editor):
    """A database that ran ``0013_report2`` before its columns kept their default gets it (PostgreSQL; SQLite
    databases are not deployed while an earlier release runs). Idempotent."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    facts = connection.ops.quote_name(apps.get_model("creators", "OrderLineFact")._meta.db_table)
    with connection.cursor() as cursor:
        for column in MARK_PARTITIONS:
            cursor.execute(f"ALTER TABLE {facts} ALTER COLUMN {column} SET DEFAULT 0")


def days_to_sum(connection, facts: str, sales: str) -> list:
    """Days with facts and no daily sums yet, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT day FROM {facts} AS fact WHERE NOT EXISTS "
                       f"(SELECT 1 FROM {sales} AS sale WHERE sale.day = fact.day) ORDER BY day")
        return [row[0] for row in cursor.fetchall()]


def sum_day(apps, connection, day) -> bool:
    """One day's marks and sums, in one transaction under the rollup's lock; False when the day already has
    sums (the rollup built it meanwhile)."""
    facts = apps.get_model("creators", "OrderLineFact")._meta.db_table
    sales_model = apps.get_model("creators", "DailySales")
    sales = sales_model._meta.db_table
    marks = ", ".join(
        f"CASE WHEN ROW_NUMBER() OVER (PARTITION BY order_id, {dimensions} ORDER BY order_line_id) = 1 "
        f"THEN 1 ELSE 0 END AS {column}" for column, dimensions in MARK_PARTITIONS.items())
    assignments = ", ".join(f"{column} = marked.{column}" for column in MARK_PARTITIONS)
    sums = ", ".join(f"SUM({column})" for column in SALES_SUMS)
    with transaction.atomic(using=connection.alias):
        list(apps.get_model("creators", "RollupWatermark").objects.using(connection.alias)
             .select_for_update().order_by("pk").values_list("pk", flat=True))
        if sales_model.objects.using(connection.alias).filter(day=day).exists():
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {facts} SET {assignments} FROM (SELECT order_line_id, {marks} FROM {facts} WHERE day = %s) "
                f"AS marked WHERE {facts}.order_line_id = marked.order_line_id", [day])
            cursor.execute(
                f"INSERT INTO {sales} ({SALES_KEY}, {', '.join(SALES_SUMS)}) "
                f"SELECT {SALES_KEY}, {sums} FROM {facts} WHERE day = %s GROUP BY {SALES_KEY}", [day])
    return True


def sum_existing(apps, schema_editor):
    connection = schema_editor.connection
    facts = apps.get_model("creators", "OrderLineFact")._meta.db_table
    sales = apps.get_model("creators", "DailySales")._meta.db_table
    for day in days_to_sum(connection, facts, sales):
        sum_day(apps, connection, day)


class Migration(migrations.Migration):
    atomic = False  # each day of the backfill commits on its own

    dependencies = [
        ("creators", "0013_report2"),
    ]

    operations = [
        migrations.RunPython(keep_database_defaults, migrations.RunPython.noop),
        migrations.RunPython(sum_existing, migrations.RunPython.noop),
    ]
