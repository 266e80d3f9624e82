"""One aggregate query for several groupings of the same rows (a report's rows, total and days).

On PostgreSQL the grouped query Django compiles (``values(…).annotate(…)``, whose ``GROUP BY`` names
its select columns by position) is rewritten to ``GROUP BY GROUPING SETS (…)`` with a ``GROUPING(…)``
column telling the sets apart: one scan and one round trip instead of one per grouping. Other
databases (SQLite has no grouping sets) run the same grouped query once per set. Both give the same
figures: each set's aggregates are exactly the ones its own ``GROUP BY`` would compute.

When an aggregate sums a per-row subquery (the live order lines' refunds and commission), PostgreSQL
would evaluate it once per sort the grouping sets need (twice per line for a report's three sets); such
rows are computed once in an inner query (``OFFSET 0`` keeps the planner from flattening it) and the
grouping sets aggregate its columns.

``CompiledAggregate`` does the same for a queryset built by a function of the report's values (dates, brand ids,
filters): its statement, rewrite included, is made once per process and shape (``shop.services.compiled_queries``)
and each call binds its own values, so a report builds and compiles nothing after its first run.
"""

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import F, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query

from shop.services.compiled_queries import CompiledQuery, RowReader, orm_reader

_ORDINAL_GROUP_BY = re.compile(r" GROUP BY (\d+(?:, \d+)*)$")


Statement = tuple[str, list, RowReader]  # SQL, parameters, and what turns its rows into results by set


def aggregate_by_sets(queryset: QuerySet, sets: list[tuple[str, ...]], aggregates: dict) -> dict[tuple, list[dict]]:
    """For each set of ``queryset`` value names, its rows as ``values(*set).annotate(**aggregates)`` gives them (the
    uncompiled form: the report runs ``CompiledAggregate``, and the tests compare the two)."""
    sets = list(dict.fromkeys(sets))
    connection = connections[queryset.db]
    if len(sets) > 1 and connection.vendor == "postgresql":
        try:
            statement = grouping_sets_statement(queryset, sets, aggregates, connection)
        except EmptyResultSet:  # a filter no row can pass (e.g. a brand user with no brand): as Django, no rows
            return {names_of_set: [] for names_of_set in sets}
        if statement is not None:
            sql, params, read = statement
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return read(cursor.fetchall(), connection)
    return {names: list(queryset.values(*names).annotate(**aggregates).order_by()) for names in sets}


def grouping_sets_statement(queryset: QuerySet, sets: list[tuple[str, ...]], aggregates: dict,
                            connection) -> Statement | None:
    """The one ``GROUPING SETS`` statement for ``sets`` (PostgreSQL), or None when the compiled query is not of a
    shape the rewrite knows (then one query per set). ``EmptyResultSet`` when Django knows no row can match."""
    if _sums_subqueries(queryset, aggregates):
        statement = _grouping_sets_over_rows(queryset, sets, aggregates, connection)
        if statement is not None:
            return statement
    return _grouping_sets_query(queryset, sets, aggregates, connection)


class _NotRewritable(Exception):
    pass


class CompiledAggregate:
    """``aggregate_by_sets(build(**values), sets, aggregates)``, its statement(s) compiled once per process, database
    and shape of the values (``CompiledQuery``: the builder must not branch on the values, only on their shape)."""

    def __init__(self, model: type[Model], build: Callable[..., QuerySet], sets: list[tuple[str, ...]],
                 aggregates: Callable[[], dict], *, name: str):
        self.model, self.build, self.aggregates, self.sets = model, build, aggregates, list(dict.fromkeys(sets))
        self.not_rewritable: set[str] = set()  # database aliases whose compiled query the rewrite doesn't know

        def rewrite(queryset: QuerySet, connection) -> Statement:
            statement = grouping_sets_statement(queryset, self.sets, aggregates(), connection)
            if statement is None:
                raise _NotRewritable
            return statement

        self.grouped = CompiledQuery(build, compile=rewrite, name=name,
                                     empty=lambda: {names_of_set: [] for names_of_set in self.sets})
        self.per_set = {names: CompiledQuery(
            lambda names=names, **values: build(**values).values(*names).annotate(**aggregates()).order_by(),
            read=orm_reader, name=f"{name} by {names}") for names in self.sets}

    def run(self, **values: Any) -> dict[tuple, list[dict]]:
        using = router.db_for_read(self.model)
        connection = connections[using]
        if len(self.sets) > 1 and connection.vendor == "postgresql" and using not in self.not_rewritable:
            try:
                return self.grouped.run(values, using=using)
            except _NotRewritable:
                self.not_rewritable.add(using)
        return {names: query.run(values, using=using) for names, query in self.per_set.items()}


def _grouping_sets_query(queryset: QuerySet, sets: list[tuple[str, ...]], aggregates: dict,
                         connection) -> Statement | None:
    columns = list(dict.fromkeys(name for names in sets for name in names))
    query = queryset.values(*columns).annotate(**aggregates).order_by().query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    match = _ORDINAL_GROUP_BY.search(sql)
    if match is None or not sql.startswith("SELECT "):
        return None  # not the shape this rewrite knows: one query per set instead
    names = [alias or expression.target.attname for expression, _, alias in compiler.select]
    position = {name: names.index(name) for name in columns}
    # Ordinals count from 1, after the GROUPING() column this puts first.
    group_by = ", ".join(f"({', '.join(str(position[name] + 2) for name in names_of_set)})" for names_of_set in sets)
    grouping_sql = ", ".join(compiler.select[position[name]][1][0] for name in columns)
    grouping_params = [param for name in columns for param in compiler.select[position[name]][1][1]]
    sql = (f"SELECT GROUPING({grouping_sql}), {sql[len('SELECT '):match.start()]}"
           f" GROUP BY GROUPING SETS ({group_by})")
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    return sql, [*grouping_params, *params], _reader_by_set(compiler, converters, columns=columns, output=names,
                                                           sets=sets, aggregates=list(aggregates))


def _referenced_names(aggregates: dict) -> list[str]:
    return list(dict.fromkeys(expression.name for aggregate in aggregates.values()
                              for expression in aggregate.flatten() if isinstance(expression, F)))


def _sums_subqueries(queryset: QuerySet, aggregates: dict) -> bool:
    annotations = queryset.query.annotations
    return any(name in annotations and annotations[name].contains_subquery for name in _referenced_names(aggregates))


def _grouping_sets_over_rows(queryset: QuerySet, sets: list[tuple[str, ...]], aggregates: dict,
                             connection) -> Statement | None:
    """As ``_grouping_sets_query``, with each row's values (subqueries included) computed once in an
    inner query and the aggregates over its columns."""
    columns = list(dict.fromkeys(name for names in sets for name in names))
    referenced = [name for name in _referenced_names(aggregates) if name not in columns]
    compiler = queryset.values(*columns, *referenced).order_by().query.get_compiler(connection=connection)
    inner_sql, inner_params = compiler.as_sql()
    names = [alias or expression.target.attname for expression, _, alias in compiler.select]
    if sorted(names) != sorted([*columns, *referenced]) or not inner_sql.startswith("SELECT "):
        return None
    quote = connection.ops.quote_name
    row_alias = quote("_row")
    column_sql = {name: f"{row_alias}.{quote(name)}" for name in names}
    of_name = dict(zip(names, (expression for expression, _, _ in compiler.select)))
    replacements = {F(name): RawSQL(column_sql[name], (), output_field=of_name[name].output_field) for name in names}
    outer = Query(queryset.model)
    outer_compiler = outer.get_compiler(connection=connection)
    resolved = {name: aggregate.replace_expressions(replacements).resolve_expression(outer, allow_joins=False)
                for name, aggregate in aggregates.items()}
    aggregate_sql, aggregate_params = [], []
    for name, expression in resolved.items():
        sql, params = outer_compiler.compile(expression)
        aggregate_sql.append(f"{sql} AS {quote(name)}")
        aggregate_params.extend(params)
    keys = ", ".join(column_sql[name] for name in columns)
    # Ordinals count from 1, after the GROUPING() column this puts first.
    group_by = ", ".join(f"({', '.join(str(columns.index(name) + 2) for name in names_of_set)})"
                         for names_of_set in sets)
    sql = (f"SELECT GROUPING({keys}), {keys}, {', '.join(aggregate_sql)}"
           f" FROM ({inner_sql} OFFSET 0) {row_alias} GROUP BY GROUPING SETS ({group_by})")
    converters = compiler.get_converters([*(of_name[name] for name in columns), *resolved.values()])
    return sql, [*aggregate_params, *inner_params], _reader_by_set(
        compiler, converters, columns=columns, output=[*columns, *aggregates], sets=sets, aggregates=list(aggregates))


def _reader_by_set(compiler, converters: dict, *, columns: list[str], output: list[str],
                   sets: list[tuple[str, ...]], aggregates: list[str]) -> RowReader:
    """Reads a ``GROUPING SETS`` query's rows, whose first column is ``GROUPING(columns…)`` and whose others are
    named ``output``: each row goes to its set, as ``values(*set).annotate(**aggregates)`` would give it."""
    # GROUPING() sets bit (n - 1 - i) when column i is not grouped in a row's set.
    set_of_mask = {
        sum(1 << (len(columns) - 1 - index) for index, name in enumerate(columns) if name not in names_of_set): names_of_set
        for names_of_set in sets
    }
    kept = {names_of_set: (*names_of_set, *aggregates) for names_of_set in sets}

    def read(fetched: list, connection) -> dict[tuple, list[dict]]:
        results: dict[tuple, list[dict]] = {names_of_set: [] for names_of_set in sets}
        values = compiler.apply_converters([row[1:] for row in fetched], converters) if converters else (
            row[1:] for row in fetched)
        for mask, row in zip((row[0] for row in fetched), values):
            names_of_set = set_of_mask[mask]
            by_name = dict(zip(output, row))
            results[names_of_set].append({name: by_name[name] for name in kept[names_of_set]})
        return results

    return read
