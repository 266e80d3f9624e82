"""Hot querysets compiled once per process, then run with fresh parameters (issue 14: a third of the buy flow's
CPU went into building and compiling the same few queries on every request; the content API's catalog snapshot
reads its rows the same way).

``CompiledQuery(build, read=...)`` wraps a function that builds a queryset from its keyword arguments. The first
call (per database connection and per *shape*: the names given, the length of each list argument, which are None)
builds the queryset from marker values, compiles it with Django's own compiler and remembers the SQL and where
each marker landed among its parameters. Later calls only execute that SQL with the new values and turn the rows
into results with ``read`` (made once per compiled shape from the compiler). The rule stays in the queryset (one
place); nothing here writes SQL. ``compiled(build)`` is the buy flow's form: rows become what ``list(queryset)``
gives (model instances through ``ModelIterable``'s steps, ``values_list`` tuples or ``values`` dicts).

Arguments may be ``int``, ``str``, ``datetime``, ``date``, a list of these, or None (a None is part of the shape: it is
passed to the builder as it is); every other value a queryset uses must be a constant of the builder. The builder
must not branch on the argument values (only on their shape; ``none()`` for a shape that has no rows). A marker may
land in several places (each gets the call's value). A query some of whose markers don't reach the SQL unchanged (``contains`` wraps its argument in %,
an argument the builder ignores) is **refused** when it is first compiled (``ValueError``): it would run with the
first call's values frozen in, and building it each time would silently lose what this module is for. Each query
keeps at most ``PLAN_LIMIT`` shapes holding at most ``PLAN_VALUES_BUDGET`` values in all (more start its cache
afresh), so a caller's data can't grow it without bound. A call with more than ``PLAN_VALUES_LIMIT`` values (a list's
items counted each) is built from its own values and compiled for that call only, as the ORM would (no marker
check): such shapes are rarely repeated. A plain value's type is part of the shape too (a date and a moment compare
differently).

Turning rows into objects reuses what ``ModelIterable`` does (the compiler's ``select``, ``klass_info`` and
converters, ``get_related_populators``): Django internals, pinned by ``tests/shop/test_compiled_queries.py``.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone as dt_timezone
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.lookups import In
from django.db.models.query import ModelIterable, ValuesIterable, ValuesListIterable, get_related_populators

from shop.services.bound_cursors import bound_cursor

PLAN_LIMIT = 256
PLAN_VALUES_LIMIT = 4_096  # values (each list item counted) of a shape whose compiled SQL is kept
PLAN_VALUES_BUDGET = 16_384  # values of all the shapes one query keeps
_ARRAY = "array"  # a list argument that reached the SQL whole, as one parameter (``ArrayIn``)

# A compiled shape's row reader: made once from the compiler and the marker queryset, then given each call's
# fetched rows (before Django's converters) and the connection.
RowReader = Callable[[list, Any], Any]
# How a shape's marker queryset becomes SQL: its statement, parameters and row reader (``EmptyResultSet`` when Django
# knows no row can match). The default is Django's compiler; ``grouping_sets`` rewrites the compiled SQL.
Compile = Callable[[QuerySet, Any], tuple[str, list, RowReader]]


class _Marker:
    """The stand-in values a builder is given on a query's first call, made and recognised here (one place, so the
    two can't drift apart): each is unique and of a shape real values don't take (a negative int inside every
    integer column's range, a string with control characters, a moment in 1903 or a day in 1901–1912). Markers are
    numbered per shape (``number``, from 1), and a kept shape has at most ``PLAN_VALUES_LIMIT`` of them: each date
    marker is a day of its own."""

    INT_BASE = -2_000_000_000
    STR_TAG = "\x1fcompiled-marker-"
    EPOCH = datetime(1903, 1, 1, tzinfo=dt_timezone.utc)
    FIRST_DAY = date(1901, 1, 1)  # date markers: FIRST_DAY + 1..PLAN_VALUES_LIMIT days (before 1913)
    YEARS = tuple(f"{year}-" for year in range(1901, 1913))  # the markers' moments and days, as text

    @classmethod
    def make(cls, value: Any, number: int) -> Any:
        if not 0 < number <= PLAN_VALUES_LIMIT:
            raise ValueError(f"marker {number}: a kept shape takes at most {PLAN_VALUES_LIMIT} values")
        if isinstance(value, bool):
            raise TypeError("compiled queries take no booleans (make them constants of the builder)")
        if isinstance(value, int):
            return cls.INT_BASE - number
        if isinstance(value, str):
            return f"{cls.STR_TAG}{number}\x1f"
        if isinstance(value, datetime):
            return cls.EPOCH + timedelta(seconds=number, microseconds=number)
        if isinstance(value, date):
            return cls.FIRST_DAY + timedelta(days=number)
        raise TypeError(
            f"compiled queries take int, str, datetime, date, lists of these or None, not {type(value).__name__}")

    @classmethod
    def recognises(cls, constant: Any) -> bool:
        """Whether a parameter Django passed is a marker, as it is, altered (``%x%``) or adapted for its column."""
        if isinstance(constant, str):
            return cls.STR_TAG in constant or constant.startswith(cls.YEARS)  # any moment or day of the markers'
        if isinstance(constant, date):  # a datetime too
            return cls.FIRST_DAY.year <= constant.year <= 1912
        return isinstance(constant, int) and not isinstance(constant, bool) and constant <= cls.INT_BASE


def _size(values: dict[str, Any]) -> int:
    """A call's values, each list item counted."""
    return sum(len(value) if isinstance(value, (list, tuple)) else 1 for value in values.values())


def _kept(values: dict[str, Any]) -> bool:
    """Whether a call's shape is compiled once and kept (``PLAN_VALUES_LIMIT``)."""
    return _size(values) <= PLAN_VALUES_LIMIT


def _shape(values: dict[str, Any]) -> tuple:
    """What the SQL depends on besides the values: the names given, each list's length, which are None, and each
    plain value's type (a date and a moment compare differently)."""
    # Tagged: a bare ``len`` or ``is None`` would make a one-item list and a None the same shape (``1 == True``).
    return tuple((name, ("list", len(value)) if isinstance(value, (list, tuple)) else ("none",) if value is None
                  else ("value", type(value).__name__)) for name, value in sorted(values.items()))


@dataclass
class _Plan:
    sql: str  # "" when Django knows the answer is empty without asking the database
    # Per parameter: (argument name, index in a list argument or None, adapter) or (None, constant, None).
    slots: list[tuple[str | None, Any, Callable | None]]
    read: RowReader | None

    def params(self, values: dict[str, Any]) -> list:
        return [adapt(values[name] if index is None else values[name][index]) if name is not None else index
                for name, index, adapt in self.slots]


def _same_value(value: Any) -> Any:
    return value


def _adapters(connection, marker: Any) -> list[Callable]:
    """How Django may have passed ``marker`` to the database (as it is, or adapted for its column)."""
    if isinstance(marker, datetime):
        return [_same_value, connection.ops.adapt_datetimefield_value]
    if isinstance(marker, date):
        return [_same_value, connection.ops.adapt_datefield_value]
    if isinstance(marker, int):  # a ``Value`` of an integer field: typed for its column (psycopg's ``Int4``)
        return [_same_value, *(_integer_adapter(connection, internal_type)
                               for internal_type in getattr(connection.ops, "integerfield_type_map", ()))]
    return [_same_value]


def _integer_adapter(connection, internal_type: str) -> Callable:
    def adapt(value: int) -> Any:
        return connection.ops.adapt_integerfield_value(value, internal_type)

    return adapt


class CompiledQuery:
    """``build(**values)`` compiled once per connection and shape; ``run`` answers with ``read`` over its rows (or
    with what ``compile`` makes of the marker queryset: its SQL, parameters and reader)."""

    def __init__(self, build: Callable[..., QuerySet], *, read: Callable[[Any, QuerySet], RowReader] | None = None,
                 compile: Compile | None = None, name: str = "", empty: Callable[[], Any] = list,
                 server_binding: bool = False):
        if (read is None) == (compile is None):
            raise TypeError("a compiled query takes either read or compile")
        self.build, self.read, self.name = build, read, name or build.__name__
        # Whether ``run`` sends its SQL through ``bound_cursor`` (values bound by PostgreSQL, not quoted into the SQL
        # in Python): only for SQL that repeats no parameter in a GROUP BY (see ``bound_cursors``).
        self.server_binding = server_binding
        self.compile = compile or self._compile
        self.empty = empty  # the answer when Django knows no row can match
        self.plans: dict[tuple, _Plan] = {}
        self.kept_values = 0  # of the shapes in ``plans``

    def _compile(self, queryset: QuerySet, connection) -> tuple[str, list, RowReader]:
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        return sql, params, self.read(compiler, queryset)

    def run(self, values: dict[str, Any], *, using: str) -> Any:
        connection = connections[using]
        plan = self._plan_for(connection, values) if _kept(values) else self._plan_of_this_call(connection, values)
        if not plan.sql:
            return self.empty()
        with bound_cursor(connection) if self.server_binding else connection.cursor() as cursor:
            cursor.execute(plan.sql, plan.params(values))
            rows = cursor.fetchall()
        return plan.read(rows, connection)

    def statement(self, values: dict[str, Any], *, using: str) -> tuple[str, list] | None:
        """The SQL and parameters ``run`` would send (None when Django knows the answer is empty), for a caller
        that sends them itself (``write_batches``' compiled updates and deletes)."""
        connection = connections[using]
        plan = self._plan_for(connection, values) if _kept(values) else self._plan_of_this_call(connection, values)
        return (plan.sql, plan.params(values)) if plan.sql else None

    def _plan_of_this_call(self, connection, values: dict[str, Any]) -> "_Plan":
        """The SQL of these values, built and compiled as the ORM would, for this call only (its parameters are the
        call's own: each slot a constant)."""
        queryset = self.build(**values)
        if queryset.query.is_empty():
            return _Plan(sql="", slots=[], read=None)
        try:
            sql, params, read = self.compile(queryset, connection)
        except EmptyResultSet:
            return _Plan(sql="", slots=[], read=None)
        return _Plan(sql=sql, slots=[(None, param, None) for param in params], read=read)

    def _plan_for(self, connection, values: dict[str, Any]) -> "_Plan":
        key = (connection.alias, connection.vendor, _shape(values))
        plan = self.plans.get(key)
        if plan is None:
            size = _size(values)
            if len(self.plans) >= PLAN_LIMIT or self.kept_values + size > PLAN_VALUES_BUDGET:
                self.plans.clear()
                self.kept_values = 0
            plan = self.plans[key] = self._plan(connection, values)
            self.kept_values += size
        return plan

    def _plan(self, connection, values: dict[str, Any]) -> _Plan:
        numbers = itertools.count(1)  # this shape's markers
        markers = {name: [_Marker.make(item, next(numbers)) for item in value] if isinstance(value, (list, tuple))
                   else None if value is None else _Marker.make(value, next(numbers)) for name, value in values.items()}
        queryset = self.build(**markers)
        if queryset.query.is_empty():  # the builder's ``none()`` for this shape: no rows, whatever the values
            return _Plan(sql="", slots=[], read=None)
        try:
            sql, params, read = self.compile(queryset, connection)
        except EmptyResultSet:  # e.g. ``__in`` an empty list: Django answers without asking the database
            if any(isinstance(marker, list) and not marker for marker in markers.values()):
                return _Plan(sql="", slots=[], read=None)
            # Otherwise a marker itself made Django give up (an int outside a small column's range): the answer
            # for real values may not be empty, so it must not be remembered as such.
            raise ValueError(f"compiled query {self.name}: Django found no rows for its markers") from None
        places = {}  # (type, value as Django may pass it) -> (argument name, list index, adapter)
        for name, marker in markers.items():
            if marker is None:
                continue
            if isinstance(marker, list):  # the whole list as one (array) parameter: ``ArrayIn`` on PostgreSQL
                places[(_ARRAY, tuple(marker))] = (name, None, list)
            for index, item in enumerate(marker) if isinstance(marker, list) else [(None, marker)]:
                for adapt in _adapters(connection, item):
                    adapted = adapt(item)
                    places.setdefault((type(adapted), adapted), (name, index, adapt))
        slots = [_slot(places, param) for param in params]
        missing = _missing_markers(markers, slots)
        if missing:  # a lookup that rewrote the value, or one the builder left out: it would be frozen in
            raise ValueError(f"compiled query {self.name}: {sorted(missing)} reached the SQL altered")
        if any(name is None and _Marker.recognises(constant) for name, constant, _adapt in slots):
            # the same argument also reached the SQL altered (``Q(sku=x) | Q(sku__icontains=x)``)
            raise ValueError(f"compiled query {self.name}: an argument also reached the SQL altered")
        return _Plan(sql=sql, slots=slots, read=read)


def _missing_markers(markers: dict[str, Any], slots: list[tuple]) -> set[tuple]:
    """(argument name, list index) of each marker no parameter carries; a list carried whole (one array
    parameter) carries all of its items."""
    placed = {(name, index) for name, index, adapt in slots if adapt is not None}
    missing = set()
    for name, marker in markers.items():
        if marker is None or (name, None) in placed:
            continue
        if isinstance(marker, list):
            missing |= {(name, index) for index in range(len(marker))} - placed
        else:
            missing.add((name, None))
    return missing


def _slot(places: dict, param: Any) -> tuple:
    try:
        found = places.get((_ARRAY, tuple(param)) if isinstance(param, list) else (type(param), param))
    except TypeError:  # an unhashable parameter (a JSON value) is no marker
        found = None
    return found if found is not None else (None, param, None)


class ArrayIn(In):
    """``In(F(column), values)`` that PostgreSQL is sent as ``column = ANY(%s)`` with the values as one array
    parameter; other databases get ``IN (%s, ...)`` as usual.

    A compiled query reading a page's hundred ids with ``IN`` passes a hundred parameters, more than psycopg
    caches the parsed SQL for (50): each run parsed the SQL and quoted every id again, about a millisecond per
    content API page on this machine. With one array parameter the SQL is parsed once per process.
    """

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value() or any(hasattr(value, "resolve_expression") for value in self.rhs):
            return self.as_sql(compiler, connection)  # a subquery or expressions: their SQL must stay (plain IN)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        _placeholders, rhs_params = self.process_rhs(compiler, connection)  # None dropped; none left: no rows
        return f"{lhs_sql} = ANY(%s)", (*lhs_params, list(rhs_params))


def compiled(build: Callable[..., QuerySet], *, using: str = "default") -> Callable[..., list]:
    """``build(**arguments)`` run as ``list(build(**arguments))`` (model instances with their ``select_related``
    objects and annotations, ``values_list`` tuples or ``values`` dicts), compiled once per connection and shape, its
    values bound by PostgreSQL (``bound_cursors``: the buy flow's reads group by no parameter)."""
    query = CompiledQuery(build, read=orm_reader, server_binding=True)

    def run(**values: Any) -> list:
        return query.run(values, using=using)

    run.build, run.query = build, query
    return run


def orm_reader(compiler, queryset: QuerySet) -> RowReader:
    """Rows as ``list(queryset)`` gives them, by ``ModelIterable``'s steps (or ``values_list``'s tuples, or
    ``values``' dicts)."""
    converters = compiler.get_converters([column[0] for column in compiler.select[:compiler.col_count]])
    iterable = queryset._iterable_class
    if iterable is ValuesIterable:
        query = queryset.query
        names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select]

        def dicts(rows: list, connection) -> list:
            if converters:
                rows = compiler.apply_converters(rows, converters)
            return [dict(zip(names, row)) for row in rows]

        return dicts
    if not issubclass(iterable, ModelIterable):
        if iterable is not ValuesListIterable or compiler.has_extra_select:
            raise ValueError(f"compiled queries read model instances, values_list tuples or values dicts, not {iterable.__name__}")

        def tuples(rows: list, connection) -> list:
            if converters:
                rows = compiler.apply_converters(rows, converters)
            return [tuple(row) for row in rows]

        return tuples
    klass_info, select = compiler.klass_info, compiler.select
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    model, annotations = klass_info["model"], compiler.annotation_col_map
    populators = get_related_populators(klass_info, select, compiler.connection.alias)

    def objects(rows: list, connection) -> list:
        alias = connection.alias
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        result = []
        for row in rows:
            obj = model.from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            result.append(obj)
        return result

    return objects
