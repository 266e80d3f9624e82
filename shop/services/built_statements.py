"""Hand-written statements that name only tables and columns (issue 14): built once per process for each database
and shape, not at every call (a statement's quoting and field look-ups cost as much as a small query's Python)."""

from collections.abc import Callable

from django.db.backends.base.base import BaseDatabaseWrapper

_built: dict[tuple, str] = {}


def built_once(db: BaseDatabaseWrapper, shape: tuple, build: Callable[[Callable[[str], str]], str]) -> str:
    """The statement ``build(quote_name)`` makes for ``db``, built at its first call for this database and ``shape``
    (what the statement depends on besides the models: its name, the lookup column, how many locks it takes)."""
    key = (db.alias, db.vendor, *shape)
    sql = _built.get(key)
    if sql is None:
        sql = _built[key] = build(db.ops.quote_name)
    return sql
