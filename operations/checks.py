"""System check: no database foreign key may point at a table partitioned by month.

A partitioned table's key is ``(id, <month column>)`` (``operations.partitions``), so PostgreSQL can't check a
reference by id alone, and a month dropped by retention would leave dangling rows or fail. A model says it is
partitioned with ``partitioned_by_month = "<column>"``; every ForeignKey or OneToOneField to it must be declared
``db_constraint=False`` (an id column the ORM still joins on). The PostgreSQL test
``tests/operations/test_partition_checks.py`` holds the marker to the tables the migrations partition.
"""

from collections.abc import Iterable

from django.apps import apps
from django.core.checks import Error, Tags, register
from django.db import models

PARTITION_MARKER = "partitioned_by_month"


def partitioned_models(candidates: Iterable[type[models.Model]]) -> list[type[models.Model]]:
    return [model for model in candidates if getattr(model, PARTITION_MARKER, None)]


def constrained_keys_to_partitioned(candidates: Iterable[type[models.Model]]) -> list[models.Field]:
    """The foreign keys (auto-created many-to-many tables included) that would be database constraints on a
    partitioned model."""
    return [
        field
        for model in candidates
        for field in model._meta.local_fields
        if field.is_relation and field.concrete and getattr(field, "db_constraint", False)
        and getattr(field.remote_field.model, PARTITION_MARKER, None)
    ]


@register(Tags.models)
def check_no_foreign_key_constraint_to_a_partitioned_table(app_configs=None, **kwargs) -> list[Error]:
    return [
        Error(
            f"{field.model._meta.label}.{field.name} points at {field.remote_field.model._meta.label}, which is "
            "partitioned by month: PostgreSQL can't hold a foreign key to it by id.",
            hint="Declare it with db_constraint=False (the ORM still joins on the id).",
            obj=field, id="operations.E001",
        )
        for field in constrained_keys_to_partitioned(apps.get_models(include_auto_created=True))
    ]
