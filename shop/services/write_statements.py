"""The SQL Django would send for a queryset's ``update()`` or ``delete()`` (its own compilers), for
``write_batches`` to send inside a block's statement; and the guard a block refuses (an update whose ``WHERE``
reads a column it sets answers by its row count, which a block doesn't know before it ends)."""

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet, sql
from django.db.models.expressions import Col


def sql_or_none(query: sql.Query, alias: str) -> tuple[str, tuple] | None:
    """The statement Django would send for ``query``, or None when it sends none (no row can match)."""
    try:
        return query.get_compiler(using=alias).as_sql()
    except EmptyResultSet:
        return None


def update_query(queryset: QuerySet, values: dict, *, using: str) -> sql.UpdateQuery:
    """Django's ``UpdateQuery`` for ``queryset.update(**values)``, set up as its ``execute_sql`` sets it up."""
    query = queryset.query.chain(sql.UpdateQuery)
    query.add_update_values(values)
    query.annotations = {}
    if query.related_updates:
        raise ValueError("batched updates write one table")
    set_columns = {field.column for field, _model, _value in query.values}
    guards = sorted(columns_read(query.where, table=query.model._meta.db_table, alias=query.base_table)
                    & set_columns)
    if guards:
        raise ValueError(f"a batched update answers no row count, so it can't be guarded by the columns it sets "
                         f"({', '.join(guards)}): run it outside batched_writes() and check its count")
    query.get_compiler(using=using).pre_sql_setup()  # a joined filter becomes ``pk IN (subquery)``
    return query


def columns_read(where, *, table: str, alias: str) -> set[str]:
    """The columns of ``table`` a ``WHERE`` refers to, at any depth: the updated row's own (``alias``) in the
    statement itself, and any row of ``table`` in a subquery (``pk IN (… WHERE on_hand >= 2)`` guards as well).
    A joined table's column of the same name is not the updated row's."""
    columns, stack = set(), [(where, False)]
    while stack:
        node, in_subquery = stack.pop()
        if isinstance(node, Col):
            if (node.target.model._meta.db_table == table) if in_subquery else (node.alias == alias):
                columns.add(node.target.column)
        elif isinstance(node, sql.Query):
            stack.append((node.where, True))
        elif hasattr(node, "get_source_expressions"):
            stack.extend((part, in_subquery) for part in node.get_source_expressions() if part is not None)
    return columns


def delete_query(queryset: QuerySet) -> sql.DeleteQuery:
    query = queryset.query.clone()  # as QuerySet.delete() and Collector's fast delete build it
    query.select_for_update, query.select_related = False, False
    query.clear_ordering(force=True)
    query.__class__ = sql.DeleteQuery
    return query
