"""An insert's SQL, compiled once per process for each model, row count and kind (issue 14).

``write_batches.insert`` sends Django's own ``INSERT`` (``SQLInsertCompiler``) for its rows. Compiling it costs
more than the rest of the insert, and its SQL depends only on the model, the database, how many rows and whether
it ignores conflicts or returns keys: the first compile of such a shape is kept, and later inserts of that shape
only prepare their values as the compiler does (each field's ``pre_save`` and ``get_db_prep_save``) and lay them
out as it did (by row, or by column for PostgreSQL's ``UNNEST``). What is kept is checked first: the values as
prepared here must be the parameters the compiler gave. A shape whose parameters are not the fields' own (a field
with its own placeholder) is never kept; an expression among the values (``F()``, a function) is placed by
Django's compiler that time.

The buy flow's own rows are inserted now through the same compiled statements: ``insert_now`` for a
``bulk_create`` of new rows, ``save_new`` for a new row's ``save()`` (sending the same ``pre_save`` and ``post_save``,
so every receiver still sees the row). Each falls back to Django's own call where its shortcut would differ: a
model with parents or its own ``save()``, rows given keys, more rows than one statement takes.
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.db import DatabaseError, connections, router, transaction
from django.db.models import (
    BooleanField, CharField, DateField, DateTimeField, DecimalField, Field, ForeignKey, IntegerField, Model, TextField,
    signals, sql,
)
from django.db.models.fields import AutoFieldMixin
from django.db.models.constants import OnConflict

from shop.services.bound_cursors import bound_cursor

_COMPILED_INSERTS_LIMIT = 256  # compiled insert statements kept per process (more start the cache afresh)
# (model, columns, alias, rows, ignore conflicts, returned columns) -> (SQL, parameters by column (UNNEST) or by row),
# or None for a shape whose parameters are not the fields' own (Django's compiler each time).
_compiled_inserts: dict[tuple, tuple[str, bool] | None] = {}


def insert_statement(model: type[Model], fields: list, objs: list[Model], *, alias: str, ignore_conflicts: bool,
                     returning: Sequence = ()) -> tuple[str, tuple]:
    """Django's ``INSERT`` of ``objs`` (its compiler) returning the fields ``returning``, compiled once per shape:
    later calls only prepare the values as its compiler does (``pre_save``, ``get_db_prep_save``) and lay them out
    as it did."""
    connection = connections[alias]
    # Fields by identity (a model's fields live as long as the process; hashing a ``Field`` is a Python call).
    field_ids = tuple(map(id, fields))
    key = (model, field_ids, alias, len(objs), ignore_conflicts, tuple(map(id, returning)))
    compiled = _compiled_inserts.get(key, False)
    if compiled:
        rows = _prepared_rows(fields, objs, connection, pre_save=True, field_ids=field_ids)
        if rows is not None:  # else an expression among the values: Django's compiler places it
            return compiled[0], _laid_out(rows, by_column=compiled[1])
    query = sql.InsertQuery(model, on_conflict=OnConflict.IGNORE if ignore_conflicts else None)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(using=alias)
    if returning:
        compiler.returning_fields = list(returning)
    [(statement, params)] = compiler.as_sql()
    if compiled is False:
        plan = _plan_to_keep(statement, params, fields, objs, connection)
        if plan is not False:
            if len(_compiled_inserts) >= _COMPILED_INSERTS_LIMIT:
                _compiled_inserts.clear()
            _compiled_inserts[key] = plan
    return statement, tuple(params)


# Types of plain values, never an expression (their instances have no ``resolve_expression`` nor ``as_sql``).
_PLAIN_TYPES = frozenset({str, int, bool, float, Decimal, datetime, date, UUID, type(None)})


def _prepared_rows(fields: list, objs: list[Model], connection, *, pre_save: bool,
                   field_ids: tuple | None = None) -> list[list] | None:
    """Each row's parameters as ``SQLInsertCompiler`` prepares plain values; None when a value is an expression."""
    plan = _preparing(fields, connection, field_ids or tuple(map(id, fields)))
    rows = []
    for obj in objs:
        row = []
        for field, attname, own_pre_save, shortcuts in plan:
            value = field.pre_save(obj, add=True) if pre_save and own_pre_save else getattr(obj, attname)
            shortcut = shortcuts.get(type(value)) if shortcuts else None
            if shortcut is _SAME:
                row.append(value)
            elif shortcut is not None:
                row.append(shortcut(value))
            elif type(value) not in _PLAIN_TYPES and (hasattr(value, "resolve_expression") or hasattr(value, "as_sql")):
                return None
            else:
                row.append(field.get_db_prep_save(value, connection=connection))
        rows.append(row)
    return rows


_SAME = object()  # a shortcut: ``get_db_prep_save`` gives the value itself
_preparings: dict[tuple, list[tuple]] = {}


def _preparing(fields: list, connection, field_ids: tuple) -> list[tuple]:
    """Per field: (field, attname, whether its ``pre_save`` is its own, shortcuts by value type or None), once per
    process for each field list (``field_ids``: their ids, in order) and database."""
    key = (field_ids, connection.alias, connection.vendor)
    plan = _preparings.get(key)
    if plan is None:
        if len(_preparings) >= _COMPILED_INSERTS_LIMIT:
            _preparings.clear()
        plan = _preparings[key] = [(field, field.attname, _own_pre_save(field), _shortcuts(field, connection))
                                   for field in fields]
    return plan


def _own_pre_save(field) -> bool:
    """Whether ``field.pre_save`` may give other than the attribute: a field class's own ``pre_save``, except
    Django's date and moment fields without ``auto_now``/``auto_now_add`` (theirs then reads the attribute)."""
    own = type(field).pre_save
    if own in (DateField.pre_save, DateTimeField.pre_save):
        return field.auto_now or field.auto_now_add
    return own is not Field.pre_save


def _shortcuts(field, connection) -> dict | None:
    """``field.get_db_prep_save(value)`` for the value types where Django's own steps are known to give the value
    itself or one adapter call (Django's unchanged methods for text, booleans, integers and keys to them), so the
    flow's rows skip the chain of calls; None for any other field (its own steps each time). The first compile of
    an insert checks the result against the compiler's parameters (``_plan_to_keep``)."""
    kind = type(field)
    if issubclass(kind, ForeignKey):
        if kind.get_db_prep_save is not ForeignKey.get_db_prep_save:
            return None
        target = _shortcuts(field.target_field, connection)
        # A key's None is None; an int is its target's (an empty string, refused as a key, goes the long way).
        return {int: target[int], type(None): _SAME} if target and int in target else None
    if kind.get_db_prep_save is not Field.get_db_prep_save:
        return None
    prep, to_python, db_prep = kind.get_prep_value, kind.to_python, kind.get_db_prep_value
    if (db_prep is Field.get_db_prep_value and (prep, to_python) in ((CharField.get_prep_value, CharField.to_python),
                                                                     (TextField.get_prep_value, TextField.to_python))):
        return {str: _SAME, type(None): _SAME}
    if db_prep is Field.get_db_prep_value and (prep, to_python) == (BooleanField.get_prep_value,
                                                                    BooleanField.to_python):
        return {bool: _SAME, type(None): _SAME}
    if prep is IntegerField.get_prep_value and kind.__mro__[kind.__mro__.index(IntegerField) + 1] is Field:
        if db_prep is IntegerField.get_db_prep_value:
            internal_type, adapt = field.get_internal_type(), connection.ops.adapt_integerfield_value
            return {int: lambda value: adapt(value, internal_type), type(None): _SAME}
        if db_prep is AutoFieldMixin.get_db_prep_value:
            return {int: connection.ops.validate_autopk_value}
    if (kind, prep, to_python, db_prep) == (DateTimeField, DateTimeField.get_prep_value, DateTimeField.to_python,
                                            DateTimeField.get_db_prep_value):
        adapt = connection.ops.adapt_datetimefield_value
        # An aware moment is itself before the database's adapter; a naive one goes the long way (Django warns).
        return {datetime: lambda value: adapt(value) if value.utcoffset() is not None
                else field.get_db_prep_save(value, connection=connection), type(None): _SAME}
    if (kind, prep, to_python, db_prep) == (DecimalField, DecimalField.get_prep_value, DecimalField.to_python,
                                            DecimalField.get_db_prep_value):
        adapt, digits, places = connection.ops.adapt_decimalfield_value, field.max_digits, field.decimal_places
        # A finite Decimal is its own ``to_python``; any other goes the long way (and is refused there).
        return {Decimal: lambda value: adapt(value, digits, places) if value.is_finite()
                else field.get_db_prep_save(value, connection=connection), type(None): _SAME}
    return None


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


def insert_now(objs: Sequence[Model], *, using: str | None = None) -> list[Model]:
    """``bulk_create(objs)`` of new rows (no signals, as ``bulk_create``; on ``using``, else the router's database
    for them), as one compiled statement: each row gets its key and every column the database fills
    (``db_returning_fields``), as ``bulk_create`` gives them."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    alias = using or router.db_for_write(model)
    if not _shortcut_fits(model, objs, alias):
        return model._default_manager.db_manager(alias).bulk_create(objs)
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    with transaction.mark_for_rollback_on_error(alias):
        _insert_returning(model, objs, alias)
    return objs


def save_new(obj: Model) -> Model:
    """``obj.save()`` for a new row: the same ``pre_save`` and ``post_save`` around one compiled ``INSERT``, and the
    row gets its key and every column the database fills, as ``save()`` gives them."""
    save_new_then(obj, None)
    return obj


def save_new_then(obj: Model, then: tuple[str, Sequence] | None) -> tuple | None:
    """``save_new(obj)``, then the statement ``then`` (SQL and parameters; on PostgreSQL in the same statement, the
    insert a data-modifying ``WITH`` part in front of it, so both see one snapshot; elsewhere at once after it):
    its first row (PostgreSQL: NULLs when it has none), or None without ``then``."""
    model = type(obj)
    alias = router.db_for_write(model, instance=obj)
    if saves_itself(model) or not _shortcut_fits(model, [obj], alias):
        obj.save()
        return _run(then, alias)
    obj._prepare_related_fields_for_save(operation_name="save")
    send_pre_save(obj, alias)
    with transaction.mark_for_rollback_on_error(alias):
        answer = _insert_returning(model, [obj], alias, then=then)
    send_post_save(obj, alias)
    return answer


def saves_itself(model: type[Model]) -> bool:
    """Whether a new row of ``model`` is saved by its ``save()`` (its own, or Django's for a model with parents),
    not by a compiled insert with the signals sent around it (``save_new``, ``keyed_inserts.save_new_keyed``)."""
    return model.save is not Model.save or bool(model._meta.parents)


def send_pre_save(obj: Model, alias: str) -> None:
    """The ``pre_save`` ``save()`` sends for a new row (none for an auto-created model, as Django sends none)."""
    if not type(obj)._meta.auto_created:
        signals.pre_save.send(sender=type(obj), instance=obj, raw=False, using=alias, update_fields=None)


def send_post_save(obj: Model, alias: str) -> None:
    """The ``post_save`` ``save()`` sends once a new row is in its table (none for an auto-created model)."""
    if not type(obj)._meta.auto_created:
        signals.post_save.send(sender=type(obj), instance=obj, created=True, update_fields=None, raw=False,
                               using=alias)


def _run(statement: tuple[str, Sequence] | None, alias: str) -> tuple | None:
    if statement is None:
        return None
    with bound_cursor(connections[alias]) as cursor:
        cursor.execute(*statement)
        return cursor.fetchone()


def _shortcut_fits(model: type[Model], objs: list[Model], alias: str) -> bool:
    """New rows of a plain model, few enough for one statement that returns what the database fills in: with the
    key the database chooses (none given), or with a key of the field's default given (a UUID), which ``save()``
    inserts without trying an ``UPDATE`` first too."""
    opts, connection = model._meta, connections[alias]
    if (opts.parents or opts.proxy or opts.order_with_respect_to
            or not connection.features.can_return_rows_from_bulk_insert):
        return False
    if opts.pk.db_returning:
        keyed = all(obj.pk is None and obj._state.adding for obj in objs)
    else:
        keyed = opts.pk.has_default() and all(obj.pk is not None and obj._state.adding for obj in objs)
    return keyed and len(objs) <= connection.ops.bulk_batch_size(opts.concrete_fields, objs)


def _insert_returning(model: type[Model], objs: list[Model], alias: str, *,
                      then: tuple[str, Sequence] | None = None) -> tuple | None:
    opts, connection = model._meta, connections[alias]
    chosen_key = opts.pk.db_returning
    fields = [field for field in opts.concrete_fields if not field.generated and not (chosen_key and field is opts.pk)]
    returning = opts.db_returning_fields
    statement, params = insert_statement(model, fields, objs, alias=alias, ignore_conflicts=False, returning=returning)
    joined = then is not None and connection.vendor == "postgresql" and returning and len(objs) == 1
    answer = None
    with bound_cursor(connection) as cursor:  # an insert's SQL repeats per shape: values bound by PostgreSQL
        if joined:
            # One statement: the row's returned columns, then the answer's first row (NULLs when it has none).
            columns = ", ".join(f"(SELECT {connection.ops.quote_name(field.column)} FROM kolshop_inserted)"
                                for field in returning)
            cursor.execute(f"WITH kolshop_inserted AS ({statement}), kolshop_then AS ({then[0]}) "
                           f"SELECT {columns}, kolshop_then.* FROM (SELECT 1) AS kolshop_one "
                           f"LEFT JOIN (SELECT * FROM kolshop_then LIMIT 1) AS kolshop_then ON TRUE",
                           (*params, *then[1]))
            row = cursor.fetchone()
            rows, answer = [row[:len(returning)]], row[len(returning):]
        else:
            cursor.execute(statement, params)
            rows = cursor.fetchall() if returning else [()] * cursor.rowcount
    if len(rows) != len(objs):
        raise DatabaseError("an insert returned the wrong number of rows")
    for obj, row in zip(objs, rows):
        for field, value in zip(returning, converted(row, returning, connection)):
            setattr(obj, field.attname, value)
        obj._state.adding, obj._state.db = False, alias
    return answer if joined else _run(then, alias)


def converted(row: Sequence, fields: Sequence, connection) -> list:
    """A row's values for ``fields`` (one column each, in order) as Django reads them (each field's converters and
    the database's, as ``SQLCompiler.apply_converters`` applies them)."""
    values = []
    for value, (converters, column) in zip(row, _converters(fields, connection)):
        for converter in converters:
            value = converter(value, column, connection)
        values.append(value)
    return values


_converter_lists: dict[tuple, list[tuple]] = {}


def _converters(fields: Sequence, connection) -> list[tuple]:
    """Per field: (its converters and the database's, its column), once per process for each field list and
    database (both depend only on the field and the backend)."""
    key = (tuple(map(id, fields)), connection.alias, connection.vendor)
    found = _converter_lists.get(key)
    if found is None:
        if len(_converter_lists) >= _COMPILED_INSERTS_LIMIT:
            _converter_lists.clear()
        found = _converter_lists[key] = [
            (connection.ops.get_db_converters(field.cached_col) + field.get_db_converters(connection), field.cached_col)
            for field in fields]
    return found
