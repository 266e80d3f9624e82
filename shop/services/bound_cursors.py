"""A cursor whose parameters PostgreSQL binds, for the statements the buy flow sends on every request (issue 14).

Django's psycopg cursor binds on the client (``ClientCursor``): each parameter is quoted into the SQL text in
Python, about a tenth of the buy flow's CPU. The statements kept compiled here (``compiled_queries.compiled``,
``compiled_inserts``, ``write_batches``' sends, the cart's stamps) go through psycopg's server-binding cursor on the
same connection, in the same transaction: the values travel beside the SQL as they are.

Nothing is prepared (Django's default ``prepare_threshold`` None): a prepared statement whose result type a
migration changed fails on its connection until that connection forgets it ("cached plan must not change result
type"), a pooled connection in autocommit never does, and psycopg's preparation bookkeeping would count every ORM
query too. Each psycopg connection keeps one such cursor, used by one statement after another (each reads its rows
inside its ``with``; making a cursor was a fifth of a statement's CPU): a statement run while it is in use gets a
cursor of its own, closed after it, and a new connection (a reconnect, a pooled one) or another time zone a new
one. A Django connection belongs to one thread, so no cursor is shared between threads. The last statement's
result stays with the kept cursor until the next one: only the buy flow's statements, of a few rows, use it.

Only SQL known to bind on the server takes this cursor: Django's own queries may repeat a parameter (``GROUP BY``
an expression with a value), which PostgreSQL would see as two different values, so the ORM and the reports keep
Django's cursor. The cursor is Django's wrapper around psycopg's, so the query log, ``execute_wrapper`` hooks (the
write-batch checks, query counts) and error mapping see it as any other. Other databases get Django's cursor.
"""

import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.utils.connection import ConnectionProxy

if TYPE_CHECKING:
    from django.db.backends.postgresql.base import ServerBindingCursor


@contextmanager
def bound_cursor(connection: BaseDatabaseWrapper) -> Iterator[CursorWrapper]:
    """``with connection.cursor()``, binding its parameters on the server on PostgreSQL (psycopg 3): the connection's
    kept psycopg cursor (or a new one while that is in use), in Django's wrapper of the moment (logged or not)."""
    if isinstance(connection, ConnectionProxy):
        connection = connections[connection.alias]  # the thread's own wrapper, as the proxy would give
    if connection.vendor != "postgresql" or not _psycopg3():
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        connection.validate_thread_sharing()
        # A wrapper shared between threads (``inc_thread_sharing``, tests) keeps no cursor: a cursor of its own.
        kept = None if connection.allow_thread_sharing else _kept_cursor(connection)
        bound = kept.take() if kept is not None else _new_cursor(connection)
        cursor = _debug_wrapper()(bound, connection) if connection.queries_logged else connection.make_cursor(bound)
    try:
        yield cursor
    finally:
        if kept is not None:
            kept.in_use = False
        else:
            bound.close()


_is_psycopg3: list[bool] = []


def _psycopg3() -> bool:
    if not _is_psycopg3:  # imported at the first PostgreSQL statement (the module needs a PostgreSQL driver)
        from django.db.backends.postgresql.base import is_psycopg3

        _is_psycopg3.append(is_psycopg3)
    return _is_psycopg3[0]


_debug_wrappers: list[type] = []


def _debug_wrapper() -> type:
    """Django's logging wrapper for PostgreSQL, logging a bound statement with its values in it as Django logs its
    own (Django would log the ``$1`` placeholders of a cursor it believes binds on the client)."""
    if not _debug_wrappers:
        from django.db.backends.postgresql.base import CursorDebugWrapper

        class BoundCursorDebugWrapper(CursorDebugWrapper):
            def debug_sql(self, sql=None, params=None, use_last_executed_query=False, many=False):
                if use_last_executed_query and not many and params is not None:
                    try:
                        sql, use_last_executed_query = self.db.ops.compose_sql(sql, params), False
                    except Exception:  # noqa: BLE001 - as Django: an unloggable value leaves the SQL as sent
                        pass
                return super().debug_sql(sql, params, use_last_executed_query, many)

        _debug_wrappers.append(BoundCursorDebugWrapper)
    return _debug_wrappers[0]


class _KeptCursor:
    """A psycopg connection's reusable server-binding cursor, with what it was made for."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.raw, self.timezone = connection.connection, connection.timezone
        self.cursor = _new_cursor(connection)
        self.in_use = False

    def take(self) -> "ServerBindingCursor":
        self.in_use = True
        return self.cursor


# Each Django connection wrapper's kept cursor by the wrapper's id, with a weak reference to the wrapper: nothing is
# added to Django's object, and the entry goes with the wrapper (a ``WeakKeyDictionary`` would make a weak reference
# at every look-up, for each statement).
_kept: dict[int, tuple[weakref.ref, _KeptCursor]] = {}


def _kept_cursor(connection: BaseDatabaseWrapper) -> _KeptCursor | None:
    """The connection's kept cursor, made anew for a new psycopg connection, another time zone or a closed cursor;
    None while it is in use (the caller makes a cursor of its own)."""
    entry = _kept.get(id(connection))
    kept = entry[1] if entry is not None and entry[0]() is connection else None
    if kept is not None and kept.in_use:
        return None
    if kept is None or kept.raw is not connection.connection or kept.timezone is not connection.timezone \
            or kept.cursor.closed:
        kept = _KeptCursor(connection)
        _kept[id(connection)] = (weakref.ref(connection, _forget(id(connection))), kept)
    return kept


def _forget(key: int):
    """A weak reference's callback dropping the entry of a collected wrapper (unless a new wrapper took its id)."""

    def forget(reference: weakref.ref) -> None:
        entry = _kept.get(key)
        if entry is not None and entry[0] is reference:
            del _kept[key]

    return forget


_PLACEHOLDER = re.compile(r"%(.)")  # as psycopg's: any character but a newline after the %


@lru_cache(maxsize=128)  # the flow's statements' shapes; a statement of a shape seldom seen is converted again
def numbered(sql: str) -> str:
    """``sql`` with its ``%s`` placeholders as PostgreSQL's ``$1``, ``$2`` … and ``%%`` as ``%``: what psycopg's
    server-binding cursor sends for a query with parameters, converted once per statement here. psycopg converts
    again at every execute any query over 4 KiB or 50 parameters (``MAX_CACHED_STATEMENT_LENGTH``), a regular
    expression over the whole text: the checkout's one write batch is such a statement, and its conversion was an
    eighth of the checkout's CPU. Any other placeholder raises psycopg's ``ProgrammingError`` (``%b``, ``%t`` and
    named ones are psycopg's, never used here)."""
    count = 0

    def placeholder(match: re.Match) -> str:
        nonlocal count
        if match[1] == "%":
            return "%"
        if match[1] != "s":
            import psycopg

            raise psycopg.ProgrammingError(f"only %s placeholders are bound here, not %{match[1]}: {sql[:200]}")
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(placeholder, sql)


_cursor_classes: list[type] = []


def _cursor_class() -> type:
    """Django's server-binding cursor (its ``callproc``) on psycopg's raw-query cursor (``RawCursor``: ``$n``
    placeholders, sent as given), converting each query's placeholders with ``numbered``. Callers and Django's
    wrappers, the query log too, see the ``%s`` SQL they passed."""
    if not _cursor_classes:
        import psycopg
        from django.db.backends.postgresql.base import CursorMixin

        class NumberedCursor(CursorMixin, psycopg.RawCursor):
            def execute(self, query, params=None, **options):
                if params is not None and isinstance(query, str):
                    query = numbered(query)
                return super().execute(query, params, **options)

            def executemany(self, query, params_seq, **options):
                raise NotImplementedError("bound statements run one at a time (execute)")

        _cursor_classes.append(NumberedCursor)
    return _cursor_classes[0]


def _new_cursor(connection: BaseDatabaseWrapper) -> "ServerBindingCursor":
    from django.db.backends.postgresql import base as postgresql

    cursor = _cursor_class()(connection.connection)
    # As Django's ``create_cursor``: its moments read in the connection's time zone.
    loader = connection.connection.adapters.get_loader(postgresql.TIMESTAMPTZ_OID, postgresql.Format.TEXT)
    if connection.timezone != loader.timezone:
        postgresql.register_tzloader(connection.timezone, cursor)
    return cursor
