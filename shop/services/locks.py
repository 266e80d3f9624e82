"""Named locks for the length of a transaction, for rules that read before they write."""

from django.db import connection


def lock_for_transaction(name: str) -> None:
    """Wait until no other transaction holds ``name``; held until this transaction ends.

    PostgreSQL: an advisory transaction lock. SQLite (development and tests) lets one writer in at a
    time already. Call inside ``transaction.atomic()``.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
