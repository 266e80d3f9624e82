"""Clicks and page views partitioned by month on PostgreSQL (operations.partitions); SQLite keeps plain tables.

The attribution's click becomes a plain id (no foreign key can point at a partitioned table whose key is
(id, clicked_at)). Existing rows are copied into month partitions; the id sequence continues."""

import django.db.models.deletion
from django.db import migrations, models

from operations.partitions import partition_by_month, unpartition

TABLES = (("creators_click", "clicked_at"), ("creators_pageview", "viewed_at"))


def partition(apps, schema_editor):
    for table, column in TABLES:
        partition_by_month(table=table, column=column)


def plain_tables(apps, schema_editor):
    for table, _column in TABLES:
        unpartition(table=table)


class Migration(migrations.Migration):

    dependencies = [
        ("creators", "0011_followups"),
    ]

    operations = [
        migrations.AlterField(
            model_name="orderlineattribution",
            name="click",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+", to="creators.click"),
        ),
        migrations.RunPython(partition, plain_tables),
    ]
