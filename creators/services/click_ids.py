"""Click ids reserved before a click is counted: a follow's redirect carries its click's id before the row
exists (the queue writes it later, or the database inline), so each process draws ids in blocks and most clicks
take theirs without a round trip. A follow on the event loop takes an id at hand or raises ``MustBlock``.

The next block is reserved ahead, in a thread, once the block in use runs low (``REFILL_BELOW``): a follow on the
loop finding no id at hand would go to a thread (the whole follow run again there), and so would every follow
arriving while a follow held the block's lock for its round trip."""

import logging
import os
import threading
from collections import deque

from django.db import connection, connections

from creators.models import Click
from creators.services.click_tickets import MustBlock, on_loop
from operations.shared_redis import redis_client

ID_COUNTER = "kolshop:click-ids"
ID_BLOCK = 100
REFILL_BELOW = ID_BLOCK // 4  # ids left when the next block is reserved ahead (a quarter of a block's follows)

logger = logging.getLogger(__name__)


class _IdBlock:
    """Click ids reserved in blocks, so most clicks reserve theirs without a round trip."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: deque[int] = deque()
        self._refilling = False  # a thread reserving the next block ahead

    def forget_parent(self) -> None:
        """In a forked worker: not the parent's block (its ids are the parent's), nor its lock, which a parent's
        thread may have held mid round trip at the fork (the child would wait for it for ever)."""
        self._lock = threading.Lock()
        self._ids = deque()
        self._refilling = False

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
            refill = len(self._ids) < REFILL_BELOW and not self._refilling
            if refill:
                self._refilling = True
        finally:
            self._lock.release()
        if refill:
            threading.Thread(target=self._refill, name="click-ids", daemon=True).start()
        return click_id

    def _refill(self) -> None:
        """The next block reserved ahead (in a thread; no lock held across the round trip). Should it fail (Redis or
        the database down), the follow finding the block empty reserves one itself, with that follow's fallbacks."""
        try:
            ids = _reserve_ids(ID_BLOCK)
        except Exception:  # noqa: BLE001 - logged; the follows go on with the ids at hand
            logger.warning("click ids not reserved ahead", exc_info=True)
            ids = []
        finally:
            connections.close_all()  # this thread's connections, as a request's are closed when it ends
        with self._lock:
            self._ids.extend(ids)
            self._refilling = False


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
        highest = Click.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        client.set(ID_COUNTER, highest, nx=True)
    last = client.incrby(ID_COUNTER, count)
    return list(range(last - count + 1, last + 1))


_id_block = _IdBlock()
os.register_at_fork(after_in_child=lambda: _id_block.forget_parent())  # the block in use when the process forks


def reserve_click_id() -> int:
    return _id_block.take()
