"""The brand report's aggregate queries, built from its values and compiled once per process and shape.

A report runs the same few queries every time with other dates, brands and filters. Each source here is a builder
of the report's values (``Scope`` fields as plain values: dates, a list of brand ids or None, ids or None; the live
window's two moments); ``source(...)`` gives its ``CompiledAggregate`` for a grouping's sets, so the queryset is
built, compiled and (PostgreSQL) rewritten to ``GROUPING SETS`` on a shape's first call only, and later calls bind
their values as parameters. The filters stay ``figures.scope_q`` and the figures ``figures.order_figures``: nothing
here spells a rule or writes SQL. A builder uses every value it is given (``compiled_queries`` refuses one that
doesn't reach the SQL), so the live window's builder takes no days.
"""

from collections.abc import Callable
from datetime import date, datetime
from functools import cache, reduce
from operator import or_
from typing import Any

from django.db.models import Model, Q, QuerySet, Sum

from creators.models import DailyPerformance, DailySales, OrderLineFact
from creators.reports import figures
from creators.reports.facts import ORDER_LINE_COLUMNS, events_of_brands, order_line_facts
from creators.reports.grouping_sets import CompiledAggregate
from shop.models import OrderLine

EVENT_METRICS = ("views", "clicks", "add_to_carts")


def rolled_events(**values) -> QuerySet:
    return DailyPerformance.objects.filter(figures.scope_q(figures.scope_of(**values), brand=events_of_brands))


def rolled_facts(**values) -> QuerySet:
    return OrderLineFact.objects.filter(figures.scope_q(figures.scope_of(**values)))


def rolled_sales(*, stale_days: list[date], **values) -> QuerySet:
    """The daily sums, but for the days counted from their facts (``rollup.days_to_count_from_facts``)."""
    return DailySales.objects.filter(figures.scope_q(figures.scope_of(**values))).exclude(day__in=stale_days)


def stale_facts(*, stale_days: list[date], **values) -> QuerySet:
    return rolled_facts(**values).filter(day__in=stale_days)


def live_order_lines(*, live_start: datetime, live_end: datetime, **values) -> QuerySet:
    return order_line_facts(live_start, live_end).filter(figures.scope_q(figures.scope_of(**values), day=None, **{
        name: ORDER_LINE_COLUMNS[name] for name in ("brand", "creator", "page", "product")}))


def event_sums() -> dict:
    return {name: Sum(name) for name in EVENT_METRICS}


@cache
def sales_sums(order_columns: tuple[str, ...]) -> Callable[[], dict]:
    """The daily sums' figures: the order figures but orders, which sum ``order_columns`` (the marks). One function
    per columns (kept): ``source`` tells aggregates apart by the function."""
    def aggregates() -> dict:
        summed = {name: value for name, value in figures.order_figures().items() if name != "orders"}
        return {**summed, **{column: Sum(column) for column in order_columns}}
    return aggregates


SOURCES: dict[str, tuple[type[Model], Callable[..., QuerySet]]] = {
    "rolled_events": (DailyPerformance, rolled_events),
    "rolled_facts": (OrderLineFact, rolled_facts),
    "rolled_sales": (DailySales, rolled_sales),
    "stale_facts": (OrderLineFact, stale_facts),
    "live_order_lines": (OrderLine, live_order_lines),
}
_compiled: dict[tuple, CompiledAggregate] = {}


def keys_q(keys: list[tuple], columns: list[str]) -> Q:
    """Rows whose (dimensions…, currency) is one of ``keys``."""
    def equal(column: str, value) -> Q:
        return Q(**{f"{column}__isnull": True}) if value is None else Q(**{column: value})
    return reduce(or_, (reduce(lambda q, pair: q & equal(*pair), zip(columns, key), Q()) for key in keys), Q(pk__in=[]))


_KEY_PREFIX = "only_"


def keys_values(keys: set[tuple]) -> dict[str, Any]:
    """``keys`` (the folded rows') as a compiled query's values, one per key and column: a None is part of the shape,
    as ``keys_q`` asks ``IS NULL`` for it."""
    ordered = sorted(keys, key=lambda key: [(value is None, str(value)) for value in key])
    return {f"{_KEY_PREFIX}{row}_{column}": value for row, key in enumerate(ordered) for column, value in enumerate(key)}


def _only_keys(build: Callable[..., QuerySet], columns: tuple[str, ...]) -> Callable[..., QuerySet]:
    def build_only(**values) -> QuerySet:
        keys: dict[int, dict[int, Any]] = {}
        for name in [name for name in values if name.startswith(_KEY_PREFIX)]:
            row, column = map(int, name[len(_KEY_PREFIX):].split("_"))
            keys.setdefault(row, {})[column] = values.pop(name)
        rows = [tuple(key[column] for column in sorted(key)) for _, key in sorted(keys.items())]
        return build(**values).filter(keys_q(rows, list(columns)))
    return build_only


def source(name: str, sets: list[tuple[str, ...]], aggregates: Callable[[], dict], *,
           only_columns: tuple[str, ...] | None = None) -> CompiledAggregate:
    """Source ``name`` grouped by ``sets`` with ``aggregates``; ``only_columns``: limited to the rows whose columns
    are one of the keys given as ``keys_values``. Kept by all four, everything that makes its SQL: ``aggregates`` is a
    function kept for the process (``event_sums``, ``figures.order_figures``, ``sales_sums(…)``), not a new lambda
    per call, which would compile (and keep) a source per call."""
    cache_key = (name, tuple(sets), aggregates, only_columns)
    compiled = _compiled.get(cache_key)
    if compiled is None:
        model, build = SOURCES[name]
        if only_columns is not None:
            build = _only_keys(build, only_columns)
        compiled = _compiled[cache_key] = CompiledAggregate(model, build, sets, aggregates, name=name)
    return compiled
