"""A batched insert's SQL, compiled once per process for each model, row count and kind (issue 14).

``write_batches.insert`` sends Django's own ``INSERT`` (``SQLInsertCompiler``) for its rows. Compiling it costs
more than the rest of the insert, and its SQL depends only on the model, the database, how many rows and whether
it ignores conflicts or returns keys: the first compile of such a shape is kept, and later inserts of that shape
only prepare their values as the compiler does (each field's ``pre_save`` and ``get_db_prep_save``) and lay them
out as it did (by row, or by column for PostgreSQL's ``UNNEST``). What is kept is checked first: the values as
prepared here must be the parameters the compiler gave. A shape whose parameters are not the fields' own (a field
with its own placeholder) is never kept; an expression among the values (``F()``, a function) is placed by
Django's compiler that time.
"""

from django.db import connections
from django.db.models import Model, sql
from django.db.models.constants import OnConflict

_COMPILED_INSERTS_LIMIT = 256  # compiled insert statements kept per process (more start the cache afresh)
# (model, columns, alias, rows, ignore conflicts, returning keys) -> (SQL, parameters by column (UNNEST) or by row), or
# None for a shape whose parameters are not the fields' own (Django's compiler each time).
_compiled_inserts: dict[tuple, tuple[str, bool] | None] = {}


def insert_statement(model: type[Model], fields: list, objs: list[Model], *, alias: str, ignore_conflicts: bool,
                     returning: bool) -> tuple[str, tuple]:
    """Django's ``INSERT`` of ``objs`` (its compiler), compiled once per shape: later calls only prepare the
    values as its compiler does (``pre_save``, ``get_db_prep_save``) and lay them out as it did."""
    connection = connections[alias]
    key = (model, tuple(field.attname for field in fields), alias, len(objs), ignore_conflicts, returning)
    compiled = _compiled_inserts.get(key, False)
    if compiled:
        rows = _prepared_rows(fields, objs, connection, pre_save=True)
        if rows is not None:  # else an expression among the values: Django's compiler places it
            return compiled[0], _laid_out(rows, by_column=compiled[1])
    query = sql.InsertQuery(model, on_conflict=OnConflict.IGNORE if ignore_conflicts else None)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(using=alias)
    if returning:
        compiler.returning_fields = [model._meta.pk]
    [(statement, params)] = compiler.as_sql()
    if compiled is False:
        plan = _plan_to_keep(statement, params, fields, objs, connection)
        if plan is not False:
            if len(_compiled_inserts) >= _COMPILED_INSERTS_LIMIT:
                _compiled_inserts.clear()
            _compiled_inserts[key] = plan
    return statement, tuple(params)


def _prepared_rows(fields: list, objs: list[Model], connection, *, pre_save: bool) -> list[list] | None:
    """Each row's parameters as ``SQLInsertCompiler`` prepares plain values; None when a value is an expression."""
    rows = []
    for obj in objs:
        row = []
        for field in fields:
            value = field.pre_save(obj, add=True) if pre_save else getattr(obj, field.attname)
            if hasattr(value, "resolve_expression") or hasattr(value, "as_sql"):
                return None
            row.append(field.get_db_prep_save(value, connection=connection))
        rows.append(row)
    return rows


def _laid_out(rows: list[list], *, by_column: bool) -> tuple:
    if by_column:  # PostgreSQL's ``UNNEST`` insert of several rows: one array per column
        return tuple(list(column) for column in zip(*rows))
    return tuple(value for row in rows for value in row)


def _plan_to_keep(statement: str, params, fields: list, objs: list[Model], connection) -> tuple[str, bool] | None:
    """What to remember of a first compile: its SQL and layout, once the values as prepared here (from the objects
    as the compile's ``pre_save`` left them) are the parameters it gave; None when they are not (a placeholder
    that depends on its value), False when undecided (an expression this time)."""
    if any(hasattr(field, "get_placeholder") for field in fields):
        return None
    rows = _prepared_rows(fields, objs, connection, pre_save=False)
    if rows is None:
        return False
    params = list(params)
    for by_column in (False, True) if len(objs) > 1 else (False,):
        laid_out = list(_laid_out(rows, by_column=by_column))
        if len(laid_out) == len(params) and all(_same_param(a, b) for a, b in zip(laid_out, params)):
            return statement, by_column
    return None


def _same_param(ours, django) -> bool:
    if isinstance(ours, list) and isinstance(django, list):
        return len(ours) == len(django) and all(_same_param(a, b) for a, b in zip(ours, django))
    # A JSON value is an adapter object (psycopg's ``Jsonb``) without equality: the same type showing the same.
    return type(ours) is type(django) and (ours == django or repr(ours) == repr(django))
