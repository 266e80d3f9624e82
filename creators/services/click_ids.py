"""Click ids reserved before a click is counted: a follow's redirect carries its click's id before the row
exists (the queue writes it later, or the database inline), so each process draws ids in blocks and most clicks
take theirs without a round trip. A follow on the event loop takes an id at hand or raises ``MustBlock``.

The next block is reserved ahead, by the process's refill worker (one daemon thread, keeping its database
connection as a request thread does), once the block in use runs low (``REFILL_BELOW``): a follow on the loop finding
no id at hand would go to a thread (the whole follow run again there), and so would every follow arriving while a
follow held the block's lock for its round trip."""

import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable

from django.db import close_old_connections, connection

from creators.models import Click, ClickAlias
from creators.services.click_tickets import MustBlock, on_loop
from operations.shared_redis import redis_client

ID_COUNTER = "kolshop:click-ids"
# The click queue's keys a lost counter must start above (``creators.services.click_queue`` uses them from here):
PENDING = "kolshop:clicks:pending"  # queued clicks by id
ALIAS_PREFIX = "kolshop:click-alias:"  # a reserved id not counted -> the id counted instead
ID_BLOCK = 100
REFILL_BELOW = ID_BLOCK // 4  # ids left when the next block is reserved ahead (a quarter of a block's follows)

logger = logging.getLogger(__name__)


class _RefillWorker:
    """The process's one thread reserving blocks ahead: started with the first job (and again in a forked child),
    woken by ``SimpleQueue.put`` (never blocks). It keeps its database connection between jobs, closing it only as a
    request's is closed (``close_old_connections``: past ``CONN_MAX_AGE``, or broken)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], None]) -> None:
        """``job`` queued for the worker, the worker started first if none runs (the process's first job, a forked
        child's, or after the thread died). Raises what ``Thread.start`` raises, the job not queued."""
        with self._idle:
            if self._thread is None or not self._thread.is_alive():
                thread = threading.Thread(target=self._run, name="click-ids", daemon=True)
                thread.start()
                self._thread = thread
            self._pending += 1
        self._jobs.put(job)

    def wait_idle(self, timeout: float) -> bool:
        """Whether every job submitted has finished within ``timeout`` seconds (tests, before Redis is flushed)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                close_old_connections()  # as a request starts and ends
                job()
                close_old_connections()
            except Exception:  # noqa: BLE001 - a job logs its own failures; the worker goes on
                logger.exception("click id refill job failed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()


_refill_worker = _RefillWorker()


def wait_for_refills(timeout: float = 5.0) -> bool:
    return _refill_worker.wait_idle(timeout)


class _IdBlock:
    """Click ids reserved in blocks, so most clicks reserve theirs without a round trip."""

    UNAVAILABLE_SECONDS = 1.0  # after a failed refill ahead, none tried again for so long (Redis or the DB down)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: deque[int] = deque()
        self._refilling = False  # a refill ahead submitted to the worker and not finished
        self._retry_after = 0.0  # monotonic: no refill ahead before, after a failed one

    def forget_parent(self) -> None:
        """In a forked worker: not the parent's block (its ids are the parent's), nor its lock, which a parent's
        thread may have held mid round trip at the fork (the child would wait for it for ever)."""
        self._lock = threading.Lock()
        self._ids = deque()
        self._refilling = False
        self._retry_after = 0.0

    def take(self) -> int:
        return self._pop(blocking=not on_loop())  # the event loop takes an id at hand or none

    def _pop(self, *, blocking: bool) -> int:
        """The block's next id; when it is empty a new block is reserved (a round trip), or, not ``blocking`` (the
        event loop), ``MustBlock`` is raised, as it is for a lock a thread holds while reserving one."""
        if not self._lock.acquire(blocking=blocking):
            raise MustBlock
        try:
            if not self._ids:
                if not blocking:
                    raise MustBlock
                self._ids.extend(_reserve_ids(ID_BLOCK))
            click_id = self._ids.popleft()
            refill = (len(self._ids) < REFILL_BELOW and not self._refilling
                      and (not self._retry_after or time.monotonic() >= self._retry_after))
            if refill:
                self._refilling = True
        finally:
            self._lock.release()
        if refill:
            try:
                _refill_worker.submit(self._refill)
            except Exception:  # noqa: BLE001 - no thread to be had: this follow goes on with its id, a later one retries
                logger.warning("click ids refill worker not started", exc_info=True)
                with self._lock:
                    self._refilling = False
                    self._retry_after = time.monotonic() + self.UNAVAILABLE_SECONDS
        return click_id

    def _refill(self) -> None:
        """The next block reserved ahead (by the refill worker; no lock held across the round trip). Should it fail
        (Redis or the database down), the follow finding the block empty reserves one itself, with that follow's
        fallbacks, and no refill ahead is tried for ``UNAVAILABLE_SECONDS`` (logged once, not per attempt)."""
        ids: list[int] = []
        failed = True
        try:
            ids = _reserve_ids(ID_BLOCK)
            failed = False
        except Exception:  # noqa: BLE001 - logged; the follows go on with the ids at hand
            if not self._retry_after:  # the first failure since the last refill that worked
                logger.warning("click ids not reserved ahead", exc_info=True)
        finally:
            with self._lock:
                self._ids.extend(ids)
                self._refilling = False
                self._retry_after = time.monotonic() + self.UNAVAILABLE_SECONDS if failed else 0.0


def _reserve_ids(count: int) -> list[int]:
    """``count`` unused Click ids: from the table's sequence on PostgreSQL (inline inserts draw from
    it too); elsewhere from a Redis counter started above the highest id (tests on SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [Click._meta.db_table, count])
            return [row[0] for row in cursor.fetchall()]
    client = redis_client()
    if not client.exists(ID_COUNTER):
        client.set(ID_COUNTER, _highest_id_used(client), nx=True)
    last = client.incrby(ID_COUNTER, count)
    return list(range(last - count + 1, last + 1))


def _highest_id_used(client) -> int:
    """Where a lost counter starts again (Redis restarted without persistence, or the key evicted): above every id
    in use, not only the table's: clicks still queued, and reserved ids left as aliases (in Redis, in the table),
    which a reused id would wrongly follow (the counting script answers a reserved id's alias first). A scan of the
    aliases, paid only when the counter is missing."""
    highest = [Click.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
               ClickAlias.objects.order_by("-pk").values_list("pk", flat=True).first() or 0]
    highest.extend(int(click_id) for click_id in client.hkeys(PENDING))
    highest.extend(int(key[len(ALIAS_PREFIX):]) for key in client.scan_iter(f"{ALIAS_PREFIX}*", count=1000))
    return max(highest)


def _forget_parent() -> None:
    """In a forked child: the block in use, and the refill worker (its thread did not survive the fork; a new one is
    started with the child's first refill)."""
    global _refill_worker
    _refill_worker = _RefillWorker()
    _id_block.forget_parent()


_id_block = _IdBlock()
os.register_at_fork(after_in_child=_forget_parent)


def reserve_click_id() -> int:
    return _id_block.take()
