"""Work that many changes of one transaction ask for, done once after its commit.

A checkout holds stock and places an order; a payment releases holds and takes stock: each change
announces its products, and what listens (cached product versions, live sessions) needs to act once
per transaction, not once per announcement. ``CommitBatch.add`` gathers ids while the transaction is
open and registers a callback with ``transaction.on_commit``; the first callback to run hands every
id gathered to ``flush`` and the others find nothing left.

- A transaction's batch is told apart by the connection's list of commit callbacks (a new list for
  every transaction), so ids of a rolled-back transaction never join a later transaction's batch; at
  most an add made outside any transaction flushes them too (a needless flush, never a missed one).
- Each ``add`` registers its own callback, so one dropped with a rolled-back savepoint loses nothing
  (ids added inside that savepoint are flushed with the rest: a needless flush, never a missed one).
- Ids added after the commit, by the transaction's own callbacks (outside any transaction), join its
  batch when it is not flushed yet and are flushed at once.
"""

import threading
from collections.abc import Callable, Iterable

from django.db import transaction


class _Batch:
    def __init__(self, owner: object) -> None:
        self.owner = owner
        self.ids: set[int] = set()
        self.flushed = False


class CommitBatch:
    def __init__(self, flush: Callable[[set[int]], object]) -> None:
        self._flush = flush
        self._local = threading.local()

    def add(self, ids: Iterable[int]) -> None:
        ids = set(ids)
        if not ids:
            return
        connection = transaction.get_connection()
        batch = getattr(self._local, "batch", None)
        in_transaction = connection.in_atomic_block
        owner = connection.run_on_commit if in_transaction else None
        if batch is None or batch.flushed or (in_transaction and batch.owner is not owner):
            batch = self._local.batch = _Batch(owner)
        batch.ids |= ids
        transaction.on_commit(lambda: self._flush_batch(batch))  # outside a transaction: at once

    def _flush_batch(self, batch: _Batch) -> None:
        if batch.flushed:
            return
        batch.flushed = True
        self._flush(batch.ids)
