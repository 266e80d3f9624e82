"""Running migrations inside a test: to a target, to the leaves, and a backfill interrupted after some batches."""

from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder


class Interrupted(Exception):
    """Stands for a deploy killed in the middle of a migration."""


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    """To ``targets``, or (None) to every app's latest migration."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())


def is_applied(app_label: str, name: str) -> bool:
    return (app_label, name) in MigrationRecorder(connection).applied_migrations()


def batches_then_interrupted(batches: int):
    """A stand-in for a migration module's ``transaction``: its first ``batches`` transactions run, the next one
    is interrupted before it starts."""
    opened = []

    class Stand:
        @staticmethod
        def atomic(using=None):
            opened.append(using)
            if len(opened) > batches:
                raise Interrupted
            return transaction.atomic(using=using)

    return Stand
