"""One aggregate query for several groupings of the same rows (a report's rows, total and days).

On PostgreSQL the grouped query Django compiles (``values(…).annotate(…)``, whose ``GROUP BY`` names
its select columns by position) is rewritten to ``GROUP BY GROUPING SETS (…)`` with a ``GROUPING(…)``
column telling the sets apart: one scan and one round trip instead of one per grouping. Other
databases (SQLite has no grouping sets) run the same grouped query once per set. Both give the same
figures: each set's aggregates are exactly the ones its own ``GROUP BY`` would compute.
"""

import re

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

_ORDINAL_GROUP_BY = re.compile(r" GROUP BY (\d+(?:, \d+)*)$")


def aggregate_by_sets(queryset: QuerySet, sets: list[tuple[str, ...]], aggregates: dict) -> dict[tuple, list[dict]]:
    """For each set of ``queryset`` value names, its rows as ``values(*set).annotate(**aggregates)`` gives them."""
    sets = list(dict.fromkeys(sets))
    connection = connections[queryset.db]
    if len(sets) > 1 and connection.vendor == "postgresql":
        grouped = _grouping_sets_query(queryset, sets, aggregates, connection)
        if grouped is not None:
            return grouped
    return {names: list(queryset.values(*names).annotate(**aggregates).order_by()) for names in sets}


def _grouping_sets_query(queryset: QuerySet, sets: list[tuple[str, ...]], aggregates: dict,
                         connection) -> dict[tuple, list[dict]] | None:
    columns = list(dict.fromkeys(name for names in sets for name in names))
    query = queryset.values(*columns).annotate(**aggregates).order_by().query
    compiler = query.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # a filter no row can pass (e.g. a brand user with no brand): as Django, no rows
        return {names_of_set: [] for names_of_set in sets}
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
    # GROUPING() sets bit (n - 1 - i) when column i is not grouped in a row's set.
    set_of_mask = {
        sum(1 << (len(columns) - 1 - index) for index, name in enumerate(columns) if name not in names_of_set): names_of_set
        for names_of_set in sets
    }
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    with connection.cursor() as cursor:
        cursor.execute(sql, [*grouping_params, *params])
        fetched = cursor.fetchall()
    results: dict[tuple, list[dict]] = {names_of_set: [] for names_of_set in sets}
    values = compiler.apply_converters([row[1:] for row in fetched], converters) if converters else (
        row[1:] for row in fetched)
    for mask, row in zip((row[0] for row in fetched), values):
        names_of_set = set_of_mask[mask]
        by_name = dict(zip(names, row))
        results[names_of_set].append({name: by_name[name] for name in (*names_of_set, *aggregates)})
    return results
