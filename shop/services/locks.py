"""Named locks for the length of a transaction, for rules that read before they write."""

from django.db import connection


def lock_for_transaction(name: str, *names: str) -> None:
    """Wait until no other transaction holds ``name``; held until this transaction ends. Further ``names`` are
    taken in the same statement, in the order given (callers keep one order, so they never deadlock).

    PostgreSQL: an advisory transaction lock. SQLite (development and tests) lets one writer in at a
    time already. Call inside ``transaction.atomic()``.
    """
    locks = lock_expressions([name, *names])
    if locks is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + locks[0], locks[1])


def lock_expressions(names: list[str]) -> tuple[str, list[str]] | None:
    """``lock_for_transaction``'s locks as SQL select-list expressions with their parameters, for a statement
    that runs anyway to take them in (after the rows it locks itself: ``RETURNING`` is evaluated per locked row).
    None where the database needs no named locks (SQLite) or there are none."""
    if connection.vendor != "postgresql" or not names:
        return None
    return ", ".join(["pg_advisory_xact_lock(hashtext(%s))"] * len(names)), list(names)
