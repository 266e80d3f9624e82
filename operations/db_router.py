"""Report reads go to a read replica when one is configured (``DATABASE_REPLICA_URL``); nothing else does.

Reports tolerate a replica's lag (seconds behind the primary) and are the heaviest reads; everything
that reads to decide a write (checkout, attribution, the ledger) must see the primary, so routing is
opt-in: code inside ``replica_reads()`` (or a function decorated ``@reads_from_replica``) reads from
the ``replica`` alias, all other reads and every write use ``default``, and the replica is never
migrated (it replicates the primary's schema).
"""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction

REPLICA = "replica"
_reading_reports: ContextVar[bool] = ContextVar("kolshop_reading_reports", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def reads_from_replica(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return function(*args, **kwargs)
    return wrapper


@contextmanager
def one_snapshot(alias: str) -> Iterator[None]:
    """Every read on ``alias`` inside sees the data as of the first one (a report's statements agree with each
    other): on PostgreSQL one ``REPEATABLE READ READ ONLY`` transaction, which a hot-standby replica serves too.
    Inside a transaction already open on ``alias`` (a test's, a caller's) nothing is changed: the reads run in that
    transaction at its isolation level, which under PostgreSQL's default READ COMMITTED gives each statement a
    snapshot of its own (so they may disagree); SQLite's reads run as they are."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if _reading_reports.get() and REPLICA in connections.databases:
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same data, whichever alias it was read from

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        return False if db == REPLICA else None
