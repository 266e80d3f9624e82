"""New rows written with keys taken ahead of their insert (issue 14: checkout's order, its fulfilment groups and its
lines go in the statement of its last writes, with the stock holds and the placed event).

A batched insert (``write_batches``) gets its rows' keys when its block ends, too late for rows that point at them
in the same block. So their keys are taken from the tables' sequences by a statement the caller runs anyway (the
checkout's cart lock takes the order's, its read of the cart lines each line's and group's: ``NextKey``), and the
rows are inserted with them. On a database that takes none ahead (SQLite, whose block writes at once anyway) and
for rows given none, the insert runs at once and the database chooses (``insert_known``). A key taken and not used
(the checkout refused, a brand with several lines) is a gap in the sequence, as a rolled-back insert leaves one.
"""

from collections.abc import Callable, Sequence

from django.db import router
from django.db.models import BigIntegerField, Expression, Model

from shop.services import write_batches
from shop.services.compiled_inserts import insert_now, saves_itself, send_post_save, send_pre_save


def next_key_sql(model: type[Model], quote) -> str:
    """PostgreSQL's expression taking the next key of ``model``'s auto-incremented primary key from its sequence;
    ``quote``: the connection's ``quote_name``."""
    return f"nextval(pg_get_serial_sequence('{quote(model._meta.db_table)}', '{model._meta.pk.column}'))"


class NextKey(Expression):
    """The next key of ``model``'s auto-incremented primary key, taken ahead of its insert (a query column: one key
    per row read). None on a database that takes none ahead (SQLite)."""

    def __init__(self, model: type[Model]) -> None:
        super().__init__(output_field=BigIntegerField())
        self.model = model

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return "NULL", []
        return next_key_sql(self.model, connection.ops.quote_name), []


def insert_known(objs: Sequence[Model], *, using: str | None = None,
                 on_saved: Callable[[], None] | None = None) -> list[Model]:
    """``write_batches.insert`` for new rows whose keys the caller needs before the block ends (rows written with
    them point at them): rows given keys taken ahead wait in the block with them; rows without are inserted now
    (``insert_now``, in a block on PostgreSQL too) and get their keys from the database. ``on_saved``: called once
    the rows are in their table (``write_batches.insert``)."""
    objs = list(objs)
    if objs and all(obj.pk is None for obj in objs) and write_batches.waits(type(objs[0]), using=using):
        insert_now(objs, using=using)
        if on_saved is not None:
            on_saved()
        return objs
    return write_batches.insert(objs, using=using, on_saved=on_saved)


def save_new_keyed(obj: Model) -> Model:
    """``compiled_inserts.save_new`` for a new row whose key the caller needs before the block ends (``insert_known``:
    a row given its key waits in the block), with the same ``pre_save`` now and ``post_save`` once the row is in its
    table (when the block sends it), so a receiver of either sees what ``save()``'s would. In a block their receivers
    must leave the model's table alone (``write_batches``' checks refuse it)."""
    model = type(obj)
    if saves_itself(model):
        obj.save()  # runs at once
        return obj
    alias = router.db_for_write(model, instance=obj)
    send_pre_save(obj, alias)
    insert_known([obj], using=alias, on_saved=lambda: send_post_save(obj, alias))
    return obj
