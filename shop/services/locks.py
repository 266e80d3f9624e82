"""Named locks for the length of a transaction, for rules that read before they write."""

from django.db import connection


def lock_for_transaction(name: str, *names: str) -> None:
    """Wait until no other transaction holds ``name``; held until this transaction ends. Further ``names`` are
    taken in the same statement, in the order given (callers keep one order, so they never deadlock).

    PostgreSQL: an advisory transaction lock. SQLite (development and tests) lets one writer in at a
    time already. Call inside ``transaction.atomic()``.
    """
    if connection.vendor == "postgresql":
        every = [name, *names]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(hashtext(%s))"] * len(every)), every)
