"""Writes of one transaction sent to PostgreSQL as one statement (issue 14: the buy flow's statements).

Inside ``batched_writes()``, the inserts, updates and deletes made through ``insert``, ``update`` and ``delete``
wait; when the outermost block ends they go as one statement of data-modifying ``WITH`` parts, or in front of a
statement whose answer is needed now (``execute_after_pending``). Each part is Django's own SQL for the same
write (its compilers; nothing here writes SQL of a model), so the rule that decides a write stays where it was.
Outside a block, and on SQLite (one writer at a time, each write a local call), each runs at once through the
ORM: both paths are the same calls and both suites run them.

What a block promises, because all parts of one statement share its snapshot and run in no set order:
- nothing inside it reads what an earlier write of the block changed (a second write to a table sends what is
  pending first: one statement can't write a row twice);
- no signal is sent inside it (a receiver may read); the caller sends them after the block;
- rows whose lock order matters are locked before the block (``FOR UPDATE``), so the order of the parts
  takes no lock another transaction waits on in a different order;
- it runs inside a transaction that an exception leaving the block rolls back: the pending writes are dropped.
A write made another way inside a block runs at once, before the pending ones: never write a row the block has
pending another way. A write's error (a constraint) surfaces when the pending writes are sent, not at its call.
Rows inserted in a block get their primary keys when it ends (only keys the database counts up: an integer auto
key, matched to the rows in order).

Savepoints: a ``transaction.atomic()`` opened inside a block may roll back alone, so a write inside it can't
wait for the block's statement (it would be sent after the rollback) and pending writes can't be sent inside it
(its rollback would undo them). Such a write runs at once through the ORM, and one to a table the block has a
write pending for is refused (``RuntimeError``): a programming error the suite on PostgreSQL shows, never a quiet
lost or resurrected write.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections, router, transaction
from django.db.models import Model, QuerySet, sql
from django.db.models.fields import AutoFieldMixin
from django.db.models.constants import OnConflict
from django.db.models.deletion import Collector

_local = threading.local()


@dataclass
class _Write:
    table: str
    sql: str
    params: tuple
    inserted: list[Model] = field(default_factory=list)  # rows whose primary keys the part returns
    written: list[Model] = field(default_factory=list)  # rows it inserts (saved once it is sent)


@dataclass
class _Batch:
    alias: str
    depth: int  # savepoints open when the block began
    writes: list[_Write] = field(default_factory=list)


def _open_batch(alias: str, *tables: str) -> _Batch | None:
    """The block a write to ``tables`` waits in, or None for a write to run at once (no block, or inside a
    savepoint the block opened: see the module's notes)."""
    batch = getattr(_local, "batch", None)
    if batch is None or batch.alias != alias:
        return None
    if len(connections[alias].savepoint_ids) != batch.depth:
        if any(write.table in tables for write in batch.writes):
            raise RuntimeError(f"a write to {', '.join(tables)} inside a savepoint while the batch has a write to it "
                               "pending: write it through the batch outside the savepoint, or not through the batch")
        return None
    return batch


def _add(batch: _Batch, write: _Write) -> None:
    if any(pending.table == write.table for pending in batch.writes):
        # A second write to a table may touch a row the first one wrote, which one statement can't do: what is
        # pending goes first.
        _send(batch)
        batch.writes = []
    batch.writes.append(write)


@contextmanager
def batched_writes(using: str = "default") -> Iterator[None]:
    """Send the writes made inside as one statement when the block ends (PostgreSQL; elsewhere at once). A nested
    block joins the outer one."""
    connection = connections[using]
    if connection.vendor != "postgresql" or _open_batch(using) is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("batched_writes() needs a transaction: an error would leave half the writes behind")
    batch = _local.batch = _Batch(using, len(connection.savepoint_ids))
    try:
        yield
    except BaseException:
        _local.batch = None  # the transaction rolls back: nothing of the block is sent
        raise
    _local.batch = None
    _send(batch)


def insert(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> list[Model]:
    """``bulk_create(objs, ignore_conflicts=…)``; in a block the rows get their primary keys when it ends (none with
    ``ignore_conflicts``, as ``bulk_create`` gives none)."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    opts = model._meta
    batch = _open_batch(router.db_for_write(model), opts.db_table)
    if batch is None:
        return model.objects.bulk_create(objs, ignore_conflicts=ignore_conflicts)
    chosen_keys = opts.pk.db_returning  # an auto-incremented key: the database chooses it
    if chosen_keys and not isinstance(opts.pk, AutoFieldMixin):
        raise ValueError("a batched insert matches the keys the database chooses to its rows by their order: "
                         "an integer auto key only")
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        if obj.pk is None and not chosen_keys:
            obj.pk = opts.pk.get_pk_value_on_save(obj)
        elif obj.pk is not None and chosen_keys:
            raise ValueError("a batched insert takes new rows whose keys the database chooses")
    fields = [f for f in opts.concrete_fields if not f.generated and not (chosen_keys and f is opts.pk)]
    query = sql.InsertQuery(model, on_conflict=OnConflict.IGNORE if ignore_conflicts else None)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(using=batch.alias)
    returning = chosen_keys and not ignore_conflicts
    if returning:
        compiler.returning_fields = [opts.pk]
    [(statement, params)] = compiler.as_sql()
    _add(batch, _Write(opts.db_table, statement, tuple(params), objs if returning else [], objs))
    return objs


def update(queryset: QuerySet, **values) -> None:
    """``queryset.update(**values)`` (no answer: a block knows no row count before it ends)."""
    batch = _open_batch(router.db_for_write(queryset.model), queryset.model._meta.db_table)
    if batch is None:
        queryset.update(**values)
        return
    query = queryset.query.chain(sql.UpdateQuery)
    query.add_update_values(values)
    query.annotations = {}
    if query.related_updates:
        raise ValueError("batched updates write one table")
    compiler = query.get_compiler(using=batch.alias)
    compiler.pre_sql_setup()
    statement, params = compiler.as_sql()
    _add(batch, _Write(queryset.model._meta.db_table, statement, tuple(params)))


def delete(queryset: QuerySet) -> None:
    """``queryset.delete()``. In a block only a delete Django would do in one statement (no signals, no cascades)
    waits; any other is done now, after what is pending."""
    batch = _open_batch(router.db_for_write(queryset.model), queryset.model._meta.db_table)
    if batch is None:
        queryset.delete()
        return
    if not Collector(using=batch.alias, origin=queryset).can_fast_delete(queryset):
        _send(batch)
        batch.writes = []
        queryset.delete()
        return
    query = queryset.query.clone()  # as QuerySet.delete() and Collector's fast delete build it
    query.select_for_update, query.select_related = False, False
    query.clear_ordering(force=True)
    query.__class__ = sql.DeleteQuery
    statement, params = query.get_compiler(using=batch.alias).as_sql()
    _add(batch, _Write(queryset.model._meta.db_table, statement, tuple(params)))


def execute_after_pending(statement: str, params: Sequence, *, tables: Sequence[str],
                          using: str = "default") -> list[tuple]:
    """Run ``statement`` (an UPDATE or INSERT whose answer the caller needs now) with the block's pending writes
    sent in front of it, in the same statement; its rows. ``tables``: every table the statement writes or reads;
    pending writes to any of them are sent first, on their own (one statement can't write a row twice, nor see
    what its other parts change)."""
    batch = _open_batch(using, *tables)  # inside a savepoint: at once, without the pending writes (other tables)
    writes = batch.writes if batch is not None else []
    if any(write.inserted or write.table in tables for write in writes):
        _send(batch)  # their keys come back as rows of their own; the statement sees what they wrote
        writes = batch.writes = []
    prefix, prefix_params = _with_clause(writes)
    with connections[using].cursor() as cursor:
        cursor.execute(prefix + statement, (*prefix_params, *params))
        rows = cursor.fetchall()
    if batch is not None:
        _saved(writes, batch.alias)
        batch.writes = []
    return rows


def _saved(writes: list[_Write], alias: str) -> None:
    for write in writes:
        for obj in write.written:
            obj._state.adding, obj._state.db = False, alias


def _with_clause(writes: list[_Write]) -> tuple[str, tuple]:
    if not writes:
        return "", ()
    parts = ", ".join(f"kolshop_write_{number} AS ({write.sql})" for number, write in enumerate(writes))
    return f"WITH {parts} ", tuple(param for write in writes for param in write.params)


def _send(batch: _Batch) -> None:
    writes = batch.writes
    if not writes:
        return
    connection = connections[batch.alias]
    with connection.cursor() as cursor:
        if len(writes) == 1:
            cursor.execute(writes[0].sql, writes[0].params)
            keyed = [(writes[0], [row[0] for row in cursor.fetchall()])] if writes[0].inserted else []
        else:
            prefix, params = _with_clause(writes)
            returning = [number for number, write in enumerate(writes) if write.inserted]
            # The keys of each insert, in the order its rows were given (one statement takes them from the
            # sequence in that order).
            quote = connection.ops.quote_name
            select = ", ".join(
                f"(SELECT array_agg({key} ORDER BY {key}) FROM kolshop_write_{number})"
                for number in returning
                for key in [quote(type(writes[number].inserted[0])._meta.pk.column)]) or "1"
            cursor.execute(f"{prefix}SELECT {select}", params)
            row = cursor.fetchone()
            keyed = [(writes[number], row[position]) for position, number in enumerate(returning)]
    for write, keys in keyed:
        if len(keys or ()) != len(write.inserted):
            raise transaction.TransactionManagementError("a batched insert returned the wrong number of rows")
        for obj, key in zip(write.inserted, keys):
            obj.pk = key
    _saved(writes, batch.alias)
