"""Hot querysets compiled once per process, then run with fresh parameters (issue 14: a third of the buy flow's
CPU went into building and compiling the same few queries on every request).

``compiled(build)`` wraps a function that builds a queryset from its keyword arguments. The first call (per
database connection and per *shape*: the length of each list argument) builds the queryset from marker values,
compiles it with Django's own compiler and remembers the SQL, where each marker landed among its parameters, and
how Django turns the rows into objects. Later calls only execute that SQL with the new values and build the rows
the same way. The rule stays in the queryset (one place); nothing here writes SQL.

Arguments may be ``int``, ``str``, ``datetime``, a list of these, or None (a None is part of the shape: it is
passed to the builder as it is); every other value a queryset uses must be a
constant of the builder. The builder must not branch on the argument values (only on their shape). An argument
Django passes on altered (``contains`` wraps it in %) is refused when the query is first compiled.

Turning rows into objects reuses what ``ModelIterable`` does (the compiler's ``select``, ``klass_info`` and
converters, ``get_related_populators``): Django internals, pinned by ``tests/shop/test_compiled_queries.py``.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators

_markers = itertools.count(1)


def _marker(value: Any) -> Any:
    number = next(_markers)
    if isinstance(value, bool):
        raise TypeError("compiled queries take no booleans (make them constants of the builder)")
    if isinstance(value, int):
        return -2_000_000_000 - number  # inside every integer column's range
    if isinstance(value, str):
        return f"\x1fcompiled-marker-{number}\x1f"
    if isinstance(value, datetime):
        return datetime(1903, 1, 1, tzinfo=dt_timezone.utc) + timedelta(seconds=number, microseconds=number)
    raise TypeError(f"compiled queries take int, str, datetime, lists of these or None, not {type(value).__name__}")


def _shape(values: dict[str, Any]) -> tuple:
    """What the SQL depends on besides the values: the names given, each list's length, which are None."""
    return tuple((name, len(value) if isinstance(value, (list, tuple)) else value is None)
                 for name, value in sorted(values.items()))


@dataclass
class _Plan:
    sql: str
    # Per parameter: (argument name, index in a list argument or None, adapter) or (None, constant, None).
    slots: list[tuple[str | None, Any, Callable | None]]
    compiler: Any
    models: bool
    init_list: list[str] | None = None
    start: int = 0
    end: int = 0
    populators: list | None = None
    converters: Any = None


def _same_value(value: Any) -> Any:
    return value


def _adapters(connection, marker: Any) -> list[Callable]:
    """How Django may have passed ``marker`` to the database (as it is, or adapted for its column)."""
    if isinstance(marker, datetime):
        return [_same_value, connection.ops.adapt_datetimefield_value]
    return [_same_value]


def _plan(build: Callable[..., QuerySet], connection, values: dict[str, Any]) -> _Plan:
    markers = {name: [_marker(item) for item in value] if isinstance(value, (list, tuple))
               else None if value is None else _marker(value) for name, value in values.items()}
    queryset = build(**markers)
    compiler = queryset.query.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # e.g. ``__in`` an empty list: Django answers without asking the database
        return _Plan(sql="", slots=[], compiler=compiler, models=False)
    places = {}
    for name, marker in markers.items():
        if marker is None:
            continue
        for index, item in enumerate(marker) if isinstance(marker, list) else [(None, marker)]:
            places[item] = (name, index)
    slots = []
    adapted = [(adapt(item), place, adapt) for item, place in places.items() for adapt in _adapters(connection, item)]
    for param in params:
        found = next(((place, adapt) for candidate, place, adapt in adapted if _same(candidate, param)), None)
        slots.append((found[0][0], found[0][1], found[1]) if found else (None, param, None))
    missing = set(places.values()) - {(name, index) for name, index, adapt in slots if adapt is not None}
    if missing:  # e.g. a lookup that rewrote the value (``contains`` wraps it in %): it would be frozen in
        raise ValueError(f"compiled query {build.__name__}: {sorted(missing)} reached the SQL altered")
    models = issubclass(queryset._iterable_class, ModelIterable)
    plan = _Plan(sql=sql, slots=slots, compiler=compiler, models=models,
                 converters=compiler.get_converters([column[0] for column in compiler.select[:compiler.col_count]]))
    if models:
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        plan.start, plan.end = fields[0], fields[-1] + 1
        plan.init_list = [column[0].target.attname for column in select[plan.start:plan.end]]
        plan.populators = get_related_populators(klass_info, select, connection.alias)
    return plan


def _same(candidate: Any, param: Any) -> bool:
    try:
        return type(candidate) is type(param) and candidate == param
    except Exception:  # noqa: BLE001 - a parameter that can't be compared is no marker
        return False


def compiled(build: Callable[..., QuerySet], *, using: str = "default") -> Callable[..., list]:
    """``build(**arguments)`` run as ``list(build(**arguments))`` (model instances with their ``select_related``
    objects and annotations, or ``values_list`` tuples), compiled once per connection and shape."""
    plans: dict[tuple, _Plan] = {}

    def run(**values: Any) -> list:
        connection = connections[using]
        key = (connection.alias, connection.vendor, _shape(values))
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = _plan(build, connection, values)
        params = [adapt(values[name] if index is None else values[name][index]) if name is not None else index
                  for name, index, adapt in plan.slots]
        return _execute(plan, connection, params)

    run.build = build
    return run


def _execute(plan: _Plan, connection, params: list) -> list:
    if not plan.sql:
        return []
    compiler = plan.compiler
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        rows = cursor.fetchall()
    if plan.converters:
        rows = list(compiler.apply_converters(rows, plan.converters))
    if not plan.models:
        return [tuple(row) for row in rows]
    model, alias = compiler.klass_info["model"], connection.alias
    annotations = compiler.annotation_col_map
    objects = []
    for row in rows:
        obj = model.from_db(alias, plan.init_list, row[plan.start:plan.end])
        for populator in plan.populators:
            populator.populate(row, obj)
        for name, position in annotations.items():
            setattr(obj, name, row[position])
        objects.append(obj)
    return objects
