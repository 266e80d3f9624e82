"""Writes of one transaction sent to PostgreSQL as one statement (issue 14: the buy flow's statements).

Inside ``batched_writes()``, the inserts, updates and deletes made through ``insert``, ``update`` and ``delete``
wait; when the outermost block ends they go as one statement of data-modifying ``WITH`` parts, or in front of a
statement whose answer is needed now (``execute_after_pending``). Each part is Django's own SQL for the same
write (its compilers; nothing here writes SQL of a model), so the rule that decides a write stays where it was.
Outside a block, and on SQLite (one writer at a time, each write a local call), each runs at once through the
ORM: both paths are the same calls and both suites run them. On SQLite under ``KOLSHOP_WRITE_BATCH_CHECKS`` a block
still keeps the tables it would have a write pending for on PostgreSQL, so the checks below refuse the same
statements there and the SQLite suite catches a breach too. An insert's SQL is compiled once per process for
each model, row count and kind (``compiled_inserts``); ``update`` and ``delete`` compile at each call,
``compiled_update`` and ``compiled_delete`` once per process and shape.

What a block promises, because all parts of one statement share its snapshot and run in no set order:
- no other statement inside it reads or writes a table the block has a write pending for: it would see the
  table without that write, and a row written another way would be overwritten by the pending write (one
  statement can't write a row twice). That includes the receivers of a signal sent inside a block (checkout
  sends ``order_placed``, a payment ``order_paid``): they may read and write only tables with nothing pending.
  A second write through the block to a table sends what is pending first; ``execute_after_pending`` names the
  tables it touches for the same reason. With ``KOLSHOP_WRITE_BATCH_CHECKS`` on (the tests; ``DEBUG``) any
  other statement naming such a table raises ``RuntimeError``;
- ``update()`` answers no row count (a block knows none before it ends), so an update whose ``WHERE`` reads a
  column it sets (a guarded ``UPDATE … SET on_hand = on_hand - n WHERE on_hand >= n``, whose count is its
  answer) is refused (``ValueError``): run it outside the block;
- rows whose lock order matters are locked before the block (``FOR UPDATE``), so the order of the parts
  takes no lock another transaction waits on in a different order;
- it runs inside a transaction that an exception leaving the block rolls back: the pending writes are dropped.
A write's error (a constraint) surfaces when the pending writes are sent, not at its call.
Rows inserted in a block get their primary keys when it ends (only keys the database counts up: an integer auto
key, matched to the rows in order), or are given them, all of them, taken ahead (``keyed_inserts``).

Savepoints: a ``transaction.atomic()`` opened inside a block may roll back alone, so a write inside it can't
wait for the block's statement (it would be sent after the rollback) and pending writes can't be sent inside it
(its rollback would undo them). Such a write runs at once through the ORM, and one to a table the block has a
write pending for is refused (``RuntimeError``; on SQLite under the checks): a programming error either suite
shows, never a quiet lost or resurrected write. A ``batched_writes()`` opened inside such a savepoint (a service
with a block of its own) joins the open block, so its writes run at once too and the outer block's stay pending.
"""

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.fields import AutoFieldMixin
from django.db.models.deletion import Collector

from shop.cached_settings import cached_setting
from shop.services.bound_cursors import bound_cursor
from shop.services.compiled_inserts import insert_now, insert_statement
from shop.services.compiled_queries import CompiledQuery
from shop.services.write_statements import delete_query, sql_or_none, update_query

_local = threading.local()


@dataclass
class _Write:
    table: str
    sql: str
    params: tuple
    inserted: list[Model] = field(default_factory=list)  # rows whose primary keys the part returns
    written: list[Model] = field(default_factory=list)  # rows it inserts (saved once it is sent)
    then: Callable[[], None] | None = None  # called once it is sent (``insert``'s ``on_saved``)


@dataclass
class _Batch:
    alias: str
    depth: int  # savepoints open when the block began
    connection: BaseDatabaseWrapper  # ``connections[alias]`` of the block's thread, looked up once
    # A database whose writes run at once (SQLite): ``writes`` keeps only the tables a batch would have a write
    # pending for, so that ``KOLSHOP_WRITE_BATCH_CHECKS`` refuses there what it refuses on PostgreSQL.
    at_once: bool = False
    writes: list[_Write] = field(default_factory=list)
    writing: bool = False  # one of the block's own writes is running at once (not checked)


def _open_batch(alias: str, *tables: str) -> _Batch | None:
    """The block a write to ``tables`` waits in, or None for a write to run at once (no block, or inside a
    savepoint the block opened: see the module's notes). A write ``_refuses`` refuses raises ``RuntimeError``."""
    batch = getattr(_local, "batch", None)
    if batch is None or batch.alias != alias:
        return None
    if _in_savepoint(batch):
        if _has_pending(batch, tables):
            raise RuntimeError(f"a write to {', '.join(tables)} inside a savepoint while the batch has a write to it "
                               "pending: write it through the batch outside the savepoint, or not through the batch")
        return None
    return batch


def _in_savepoint(batch: _Batch) -> bool:
    """Whether a savepoint the block opened is open now (its writes run at once)."""
    return len(batch.connection.savepoint_ids) != batch.depth


def _refuses(batch: _Batch, tables: Sequence[str]) -> bool:
    """Whether the block refuses a write to ``tables`` now: inside a savepoint it opened, while it has a write to
    one of them pending (the write can't wait for the block, nor be sent before what is pending)."""
    return _in_savepoint(batch) and _has_pending(batch, tables)


def _has_pending(batch: _Batch, tables: Sequence[str]) -> bool:
    """Whether the batch has a write to one of ``tables`` pending (not yet sent to the database)."""
    return any(write.table in tables for write in batch.writes)


def may_insert(model: type[Model], *, using: str | None = None) -> bool:
    """Whether ``insert`` takes ``model``'s rows now (on ``using``, else the router's database for them): it refuses
    them inside a savepoint while the block has a write to the model's table pending (``_refuses``)."""
    batch = getattr(_local, "batch", None)
    alias = using or router.db_for_write(model)
    return batch is None or batch.alias != alias or not _refuses(batch, (model._meta.db_table,))


def _add(batch: _Batch, write: _Write) -> None:
    if any(pending.table == write.table for pending in batch.writes):
        # A second write to a table may touch a row the first one wrote, which one statement can't do: what is
        # pending goes first.
        _send(batch)
    batch.writes.append(write)


@contextmanager
def _written_at_once(batch: _Batch | None, table: str, then: Callable[[], None] | None = None) -> Iterator[None]:
    """Around a write to ``table`` run at once through the ORM. In a block on a database whose writes run at once,
    it is the block's own write: ``table`` counts as pending after it, as it would be on PostgreSQL (a write
    pending to it is sent first, as ``_add`` does), so the same statements are refused; ``then`` is called when
    it would be sent there."""
    if batch is None or not batch.at_once:
        yield
        return
    if any(pending.table == table for pending in batch.writes):
        _send(batch)
    batch.writing = True
    try:
        yield
    finally:
        batch.writing = False
    batch.writes.append(_Write(table, "", (), then=then))


def _checked(batch: _Batch):
    """An execute wrapper refusing any statement but the block's own that names a table with a write pending
    (see the module's notes): a read would miss the write, a write another way would be overwritten by it."""

    def check(execute, statement, params, many, context):
        # The block's own statements run with nothing pending (``_detach``), or at once (``_written_at_once``).
        for write in () if batch.writing else batch.writes:
            if f'"{write.table}"' in statement:
                raise RuntimeError(f"a statement inside batched_writes() touches {write.table}, which has a write "
                                   f"pending (send it first, or run this outside the block): {statement[:200]}")
        return execute(statement, params, many, context)

    return check


@contextmanager
def batched_writes(using: str = "default") -> Iterator[None]:
    """Send the writes made inside as one statement when the block ends (PostgreSQL; elsewhere at once, checked
    under ``KOLSHOP_WRITE_BATCH_CHECKS`` as if they waited). A nested block joins the outer one; a block on another
    database inside an open one is refused (``RuntimeError``)."""
    connection = connections[using]
    at_once, checked = connection.vendor != "postgresql", cached_setting("KOLSHOP_WRITE_BATCH_CHECKS")
    outer = getattr(_local, "batch", None)
    if outer is not None and outer.alias != using:
        raise RuntimeError("batched_writes() on a second database inside a block: one block at a time")
    # A block opened inside an open one, at any depth, joins it: one inside a savepoint the outer block opened
    # must not become a block of its own, whose end would forget the outer block's pending writes (its writes
    # run at once, as every write inside such a savepoint does).
    if (at_once and not checked) or outer is not None:
        yield
        return
    if not at_once and not connection.in_atomic_block:
        raise RuntimeError("batched_writes() needs a transaction: an error would leave half the writes behind")
    batch = _local.batch = _Batch(using, len(connection.savepoint_ids), connection, at_once=at_once)
    checks = connection.execute_wrapper(_checked(batch)) if checked else None
    try:
        if checks is None:
            yield
        else:
            with checks:
                yield
    except BaseException:
        _local.batch = None  # the transaction rolls back: nothing of the block is sent
        raise
    _local.batch = None
    _send(batch)


def insert(objs: Sequence[Model], *, ignore_conflicts: bool = False, using: str | None = None,
           on_saved: Callable[[], None] | None = None) -> list[Model]:
    """``bulk_create(objs, ignore_conflicts=…)`` (on ``using``, else the router's database for them); in a block the
    rows get their primary keys when it ends (none with ``ignore_conflicts``, as ``bulk_create`` gives none).
    ``on_saved``: called once the rows are in the table (at once, or when the block sends them)."""
    objs = list(objs)
    if not objs:
        return objs
    rows = _inserted(objs, ignore_conflicts=ignore_conflicts, using=using, on_saved=on_saved)
    if on_saved is not None and rows is not None:
        on_saved()
    return objs


def _inserted(objs: list[Model], *, ignore_conflicts: bool, using: str | None,
              on_saved: Callable[[], None] | None) -> list[Model] | None:
    """``insert``'s write: its rows when written now, None when they wait in the block (``on_saved`` with them)."""
    if not all(obj._state.adding for obj in objs):
        # A row loaded or saved already (its key set) would fail far from here, when the block sends it.
        raise ValueError("insert takes new rows only: a row loaded or saved already is in its table")
    model = type(objs[0])
    opts = model._meta
    alias = using or router.db_for_write(model)
    batch = _open_batch(alias, opts.db_table)
    if batch is None and not ignore_conflicts:
        return insert_now(objs, using=alias)  # at once, through the insert compiled for its shape
    if batch is None or batch.at_once:
        with _written_at_once(batch, opts.db_table, then=on_saved):
            if not ignore_conflicts:
                insert_now(objs, using=alias)
            else:
                model.objects.db_manager(alias).bulk_create(objs, ignore_conflicts=True)
        return objs if batch is None else None
    # An auto-incremented key the database chooses, unless every row was given one taken ahead (``insert_known``).
    given_keys = [obj.pk is not None for obj in objs]
    chosen_keys = opts.pk.db_returning and not all(given_keys)
    if chosen_keys and not isinstance(opts.pk, AutoFieldMixin):
        raise ValueError("a batched insert matches the keys the database chooses to its rows by their order: "
                         "an integer auto key only")
    if chosen_keys and any(given_keys):
        raise ValueError("a batched insert takes rows whose keys are all given or all chosen by the database")
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        if obj.pk is None and not chosen_keys:
            obj.pk = opts.pk.get_pk_value_on_save(obj)
    fields = [f for f in opts.concrete_fields if not f.generated and not (chosen_keys and f is opts.pk)]
    returning = chosen_keys and not ignore_conflicts
    statement, params = insert_statement(model, fields, objs, alias=batch.alias, ignore_conflicts=ignore_conflicts,
                                         returning=(opts.pk,) if returning else ())
    _add(batch, _Write(opts.db_table, statement, params, objs if returning else [], objs, on_saved))
    return None


def waits(model: type[Model], *, using: str | None = None) -> bool:
    """Whether a write of ``model``'s rows made now waits for the block's statement (PostgreSQL, in a block, outside
    a savepoint it opened)."""
    batch = _open_batch(using or router.db_for_write(model), model._meta.db_table)
    return batch is not None and not batch.at_once


def update(queryset: QuerySet, **values) -> None:
    """``queryset.update(**values)`` (no answer: a block knows no row count before it ends)."""
    batch = _open_batch(router.db_for_write(queryset.model), queryset.model._meta.db_table)
    if batch is None:
        queryset.update(**values)
        return
    compiled = sql_or_none(update_query(queryset, values, using=batch.alias), batch.alias)  # refuses a guard
    if compiled is None:
        return  # no row can match (an empty ``__in``): nothing is sent, so nothing is pending
    if batch.at_once:
        with _written_at_once(batch, queryset.model._meta.db_table):
            queryset.update(**values)
        return
    _add(batch, _Write(queryset.model._meta.db_table, compiled[0], tuple(compiled[1])))


def compiled_update(model: type[Model], build: Callable[..., tuple[QuerySet, dict]]) -> Callable[..., None]:
    """``update(queryset, **values)`` for ``queryset, values = build(**arguments)``. In a block its SQL is compiled
    once per process and shape (``compiled_queries``: ``build`` gets markers on the first call and must follow its
    rules); what it writes stays in ``build``. Outside a block (and on SQLite) it is ``update``."""

    def as_update(**arguments) -> QuerySet:
        queryset, values = build(**arguments)
        alias = router.db_for_write(model)
        return QuerySet(model=model, query=update_query(queryset, values, using=alias), using=alias)

    query = CompiledQuery(as_update, read=_no_rows, name=build.__name__)

    def run(**arguments) -> None:
        batch = _open_batch(router.db_for_write(model), model._meta.db_table)
        if batch is None or batch.at_once:
            queryset, values = build(**arguments)
            update(queryset, **values)  # at once, and checked where the block keeps its tables
            return
        compiled = query.statement(arguments, using=batch.alias)
        if compiled is not None:  # else no row can match (an empty ``__in``)
            _add(batch, _Write(model._meta.db_table, compiled[0], tuple(compiled[1])))

    run.build = build
    return run


def _no_rows(compiler, queryset) -> None:
    return None


def delete(queryset: QuerySet) -> None:
    """``queryset.delete()``. In a block only a delete Django would do in one statement (no signals, no cascades)
    waits; any other is done now, after what is pending."""
    batch = _open_batch(router.db_for_write(queryset.model), queryset.model._meta.db_table)
    if batch is None:
        queryset.delete()
        return
    if not Collector(using=batch.alias, origin=queryset).can_fast_delete(queryset):
        _send(batch)
        queryset.delete()
        return
    compiled = sql_or_none(delete_query(queryset), batch.alias)
    if compiled is None:
        return  # no row can match: nothing is sent, so nothing is pending
    if batch.at_once:
        with _written_at_once(batch, queryset.model._meta.db_table):
            queryset.delete()
        return
    _add(batch, _Write(queryset.model._meta.db_table, compiled[0], tuple(compiled[1])))


def compiled_delete(model: type[Model], build: Callable[..., QuerySet]) -> Callable[..., None]:
    """``delete(build(**arguments))``, its SQL compiled once per process and shape in a block (as
    ``compiled_update``); a delete Django would not do in one statement is done now, as ``delete`` does it."""
    query = CompiledQuery(lambda **arguments: QuerySet(model=model, query=delete_query(build(**arguments))),
                          read=_no_rows, name=build.__name__)

    def run(**arguments) -> None:
        batch = _open_batch(router.db_for_write(model), model._meta.db_table)
        if (batch is None or batch.at_once
                or not Collector(using=batch.alias, origin=None).can_fast_delete(model._base_manager.all())):
            delete(build(**arguments))
            return
        compiled = query.statement(arguments, using=batch.alias)
        if compiled is not None:
            _add(batch, _Write(model._meta.db_table, compiled[0], tuple(compiled[1])))

    run.build = build
    return run


def execute_after_pending(statement: str, params: Sequence, *, tables: Sequence[str],
                          using: str = "default") -> list[tuple]:
    """Run ``statement`` (an UPDATE or INSERT whose answer the caller needs now) with the block's pending writes
    sent in front of it, in the same statement; its rows. ``tables``: every table the statement writes or reads;
    pending writes to any of them are sent first, on their own (one statement can't write a row twice, nor see
    what its other parts change)."""
    batch = _open_batch(using, *tables)  # inside a savepoint: at once, without the pending writes (other tables)
    if batch is not None and any(write.inserted or write.table in tables for write in batch.writes):
        _send(batch)  # their keys come back as rows of their own; the statement sees what they wrote
    writes = _detach(batch)
    prefix, prefix_params = _with_clause(writes)
    with bound_cursor(connections[using]) as cursor:
        cursor.execute(prefix + statement, (*prefix_params, *params))
        rows = cursor.fetchall()
    if batch is not None:
        _saved(writes, batch.alias)
    return rows


def _detach(batch: _Batch | None) -> list[_Write]:
    """The block's pending writes, taken out of it to be sent: nothing is pending once they are on their way (where
    writes run at once, they were sent already)."""
    if batch is None:
        return []
    writes, batch.writes = batch.writes, []
    if batch.at_once:
        _saved(writes, batch.alias)  # written already: only their ``then``s, now that PostgreSQL would send them
        return []
    return writes


def _saved(writes: list[_Write], alias: str) -> None:
    """The sent writes' rows are saved; then each write's ``then`` (in the order of the writes)."""
    for write in writes:
        for obj in write.written:
            obj._state.adding, obj._state.db = False, alias
    for write in writes:
        if write.then is not None:
            write.then()


def _with_clause(writes: list[_Write]) -> tuple[str, tuple]:
    if not writes:
        return "", ()
    parts = ", ".join(f"kolshop_write_{number} AS ({write.sql})" for number, write in enumerate(writes))
    return f"WITH {parts} ", tuple(param for write in writes for param in write.params)


def _send(batch: _Batch) -> None:
    """Send what the block has pending, as one statement; nothing is pending after it."""
    writes = _detach(batch)
    if not writes:
        return
    connection = batch.connection
    with bound_cursor(connection) as cursor:  # its parts' SQL repeats: values bound by PostgreSQL
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
