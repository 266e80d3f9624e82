"""Hand-written statements that name only tables and columns (issue 14): built once per process for each database
and shape, not at every call (a statement's quoting and field look-ups cost as much as a small query's Python)."""

from collections.abc import Callable

from django.db.backends.base.base import BaseDatabaseWrapper

Quote = Callable[[str], str]  # a database's ``ops.quote_name``

_built: dict[tuple, str] = {}


def built_once(db: BaseDatabaseWrapper, shape: tuple, build: Callable[[Quote, str], str]) -> str:
    """The statement ``build(quote_name, vendor)`` makes for ``db`` (its ``ops.quote_name`` and ``vendor``), built at
    its first call for this database and ``shape`` (what the statement depends on besides the models and the
    database: its name, the lookup column, how many locks it takes)."""
    key = (db.alias, db.vendor, *shape)
    sql = _built.get(key)
    if sql is None:
        sql = _built[key] = build(db.ops.quote_name, db.vendor)
    return sql
