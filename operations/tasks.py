"""The scheduled database upkeep (settings.KOLSHOP_SCHEDULE "make_month_partitions", daily)."""

from django_tasks import task

from operations.partitions import make_month_partitions


@task()
def make_month_partitions_task() -> list[str]:
    """This and next month's partitions for every monthly-partitioned table (PostgreSQL; idempotent, so
    running daily means next month's exists weeks before its first row)."""
    return make_month_partitions()
