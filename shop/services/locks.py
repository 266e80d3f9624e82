"""Named locks for the length of a transaction, for rules that read before they write."""

from django.db import connection


def lock_for_transaction(name: str, *more: str) -> None:
    """Wait until no other transaction holds ``name`` (nor any of ``more``, taken in order in the same
    round trip); held until this transaction ends.

    PostgreSQL: an advisory transaction lock. SQLite (development and tests) lets one writer in at a
    time already. Call inside ``transaction.atomic()``.
    """
    if connection.vendor == "postgresql":
        names = [name, *more]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(hashtext(%s))"] * len(names)), names)
