"""Add-to-cart events partitioned by month on PostgreSQL (operations.partitions); SQLite keeps a plain table."""

from django.db import migrations

from operations.partitions import partition_by_month, unpartition


def partition(apps, schema_editor):
    partition_by_month(table="shop_addtocartevent", column="created_at")


def plain_table(apps, schema_editor):
    unpartition(table="shop_addtocartevent")


class Migration(migrations.Migration):

    dependencies = [
        ("shop", "0021_supplyops"),
    ]

    operations = [
        migrations.RunPython(partition, plain_table),
    ]
