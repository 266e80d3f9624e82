"""Work that many changes of one transaction ask for, done once after its commit.

A checkout holds stock and places an order; a payment releases holds and takes stock: each change
announces its products, and what listens (cached product versions, live sessions) needs to act once
per transaction, not once per announcement. ``CommitBatch.add`` gathers ids and hands them to
``flush`` after the commit (``transaction.on_commit``):

- Inside a transaction, ids join the batch whose callback is the last one registered (nothing else
  was registered since, and a rolled-back savepoint would have dropped it); otherwise they start a
  batch of their own. So a batch never takes ids of another transaction, and a savepoint's rollback
  loses nothing (ids added inside it may be flushed too: a needless flush, never a missed one).
- Outside a transaction (the commit's own callbacks, or plain autocommit) ids are flushed at once,
  together with the thread's last batch when it is not flushed yet: news that arrives after the
  commit (a product touched) meets what the transaction gathered (its orders) in one flush.
"""

import threading
from collections.abc import Callable, Iterable

from django.db import transaction


class _Batch:
    def __init__(self) -> None:
        self.ids: set[int] = set()
        self.flushed = False
        self.callback: Callable[[], None] | None = None


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
        if connection.in_atomic_block:
            pending = connection.run_on_commit
            if batch is not None and not batch.flushed and pending and pending[-1][1] is batch.callback:
                batch.ids |= ids
                return
            batch = self._local.batch = _Batch()
            batch.ids |= ids
            batch.callback = lambda: self._flush_batch(batch)
            transaction.on_commit(batch.callback)
            return
        if batch is None or batch.flushed:
            batch = self._local.batch = _Batch()
        batch.ids |= ids
        self._flush_batch(batch)

    def _flush_batch(self, batch: _Batch) -> None:
        if batch.flushed:
            return
        batch.flushed = True
        self._flush(batch.ids)
