"""A loop's follows' batches sent by the loop itself (``ClickBuffer``'s part that runs on an event loop): one task per
loop sends what its follows buffered with redis.asyncio (``click_queue.count_clicks_on_loop``), no thread woken and
no answer called back across threads per batch.

No threading lock is held across the await: the batch is marked in flight (``_in_flight``: the loop and the batch).
A thread's flush waits for it to land (batches land in order) or takes it back should its loop be closed or stopped
(``_wait_for_loop_send``); a send finalised off its loop (the garbage collector, in any thread) takes no lock. A
batch that fails is put back and the buffer's sender thread takes over (inline, should Redis be down), but one whose
pipeline may have run (no reply in time, cancelled, its loop closed mid-send) is only ever resent to Redis.

``LoopSends`` is a part of ``click_buffer.ClickBuffer`` (its state, lock and conditions are the buffer's)."""

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Callable
from functools import partial

import redis
from django.db import connections

from creators.services import click_queue, click_spool
from creators.services.click_aside import unanswered
from creators.services.click_queue import QueuedClick
from operations import shared_redis

# Deliberately the buffer's logger: these are the buffer's messages (as before the split), one name to filter on.
logger = logging.getLogger("creators.services.click_buffer")


class LoopSends:
    """The loop's sends of ``ClickBuffer``'s batches (mixed into it)."""

    # ClickBuffer's, relied on here (its constants, state, lock, conditions and methods; set in ``_reset``)
    BATCH: int
    UNAVAILABLE_SECONDS: float
    _lock: threading.Lock
    _ready: threading.Condition
    _landed_changed: threading.Condition
    _flushing: threading.Lock
    _clicks: list[tuple[int, QueuedClick]]
    _in_flight: tuple[asyncio.AbstractEventLoop, list[tuple[int, QueuedClick]]] | None
    _sender_tasks: dict[asyncio.AbstractEventLoop, asyncio.Task]
    _sender_tasks_lock: threading.Lock
    _wake_scheduled: asyncio.AbstractEventLoop | None
    _thread_wanted: bool
    _unavailable_until: float
    hand_on: Callable[[list[QueuedClick]], list[int]]
    _learn: Callable[..., None]

    def _send_on_loop(self) -> None:
        """The loop's next iteration sends what its follows buffered itself (``_sending_from_loop``) unless its send
        in flight will: no thread woken, no answer called back across threads. Run in a context of its own (not the
        first follow's: its request id, ``on_loop``)."""
        self._wake_scheduled = None
        loop = asyncio.get_running_loop()
        with self._sender_tasks_lock:  # loops in several threads; held for the dict's few operations only
            if (sending := self._sender_tasks.get(loop)) is not None and not sending.done():  # (its done callback
                return  # may be due)
            for closed in [other for other in self._sender_tasks if other.is_closed()]:  # closed mid-send, the
                self._sender_tasks.pop(closed, None)  # task never finished: dropped, its batch taken back when sent
            task = self._sender_tasks[loop] = loop.create_task(self._sending_from_loop(loop),
                                                               context=contextvars.Context())
        task.add_done_callback(partial(self._sender_done, loop))

    def _sender_done(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task) -> None:
        with self._sender_tasks_lock:
            if self._sender_tasks.get(loop) is task:
                del self._sender_tasks[loop]

    async def _sending_from_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Batches sent on the loop until the buffer is empty, as the sender thread sends them. With the flush held
        by a thread (a request sending its own batch), another running loop's send in flight, or the batch failed
        (put back, the queue rested a second), the sender thread takes over: it writes a batch Redis refused inline,
        which the loop can't. No threading lock is held across the await: the batch is marked in flight."""
        try:
            while (token := self._take_loop_batch(loop)) is not None:
                batch = token[1]
                if not batch:
                    return
                try:
                    counted = await click_queue.count_clicks_on_loop([click for _sequence, click in batch])
                except GeneratorExit:  # the coroutine finalised (its loop closed mid-send), perhaps by GC in any
                    raise  # thread: no lock taken; the next sender takes the batch back (``_wait_for_loop_send``)
                except BaseException as error:  # cancelled too: a batch counted or not is counted once more
                    if not _running_on(loop):  # finalised off its loop (GC, redis-py's cleanup raising: no loop),
                        raise  # perhaps in a thread holding the lock: none taken, the batch taken back as above
                    self._put_back(batch, error, token=token)
                    raise
                self._learn(batch, counted, token=token)
                if click_spool.replay_is_due():  # the way in works: what an outage spooled, replayed off the loop
                    loop.run_in_executor(None, self._replay_due_in_thread)
            self._wake_sender()
        except Exception:  # noqa: BLE001 - put back above; the sender thread writes it (inline should Redis be down)
            if _running_on(loop):
                self._wake_sender()

    def _take_loop_batch(self, loop: asyncio.AbstractEventLoop) -> tuple | None:
        """(loop, the next batch) marked in flight, or None when a thread holds the flush or another running
        loop's batch is in flight. A batch left in flight by a closed or stopped loop is taken back first."""
        if not self._flushing.acquire(blocking=False):
            return None
        try:
            with self._lock:
                if self._in_flight is not None and not self._reclaim_loop_batch():
                    return None
                token = self._in_flight = (loop, self._clicks[:self.BATCH])
                self._clicks = self._clicks[self.BATCH:]
                if not token[1]:
                    self._in_flight = None
                return token
        finally:
            self._flushing.release()

    def _replay_due_in_thread(self) -> None:
        """``click_spool.replay_due`` in the loop's default executor, whose threads keep no database connection: the
        one it opened is closed, as a request's is when it ends."""
        try:
            click_spool.replay_due(hand_on=self.hand_on)
        finally:
            connections.close_all()

    def _reclaim_loop_batch(self, *, overdue: bool = False) -> bool:
        """Whether no batch is in flight now: one whose loop is closed or stopped (its task will not finish, or
        not soon), or ``overdue`` (its send outlived its time limit: a loop blocked), is put back at the buffer's
        head, to be sent again (the queue's script counts a click once). Call holding ``_lock``."""
        loop, batch = self._in_flight
        if loop.is_running() and not loop.is_closed() and not overdue:
            return False
        self._in_flight = None
        self._clicks[:0] = unanswered(batch)  # its pipeline may have run: resent to Redis only
        return True

    def _wait_for_loop_send(self) -> None:
        """In a thread holding ``_flushing``: the batch a loop has in flight lands first (batches land in order,
        ``_landed``), or is taken back should its loop be closed or stopped, or its send outlive the time limit of
        a call to Redis by a second (the loop blocked: a flush waits no longer than a send would)."""
        deadline = time.monotonic() + shared_redis.READ_TIMEOUT_SECONDS + 1
        with self._lock:
            while (self._in_flight is not None
                   and not self._reclaim_loop_batch(overdue=time.monotonic() >= deadline)):
                self._landed_changed.wait(timeout=0.05)  # a loop closing notifies no one: looked at again

    def _put_back(self, batch: list[tuple[int, QueuedClick]], error: BaseException, *, token: tuple) -> None:
        if isinstance(error, Exception) and not isinstance(error, redis.RedisError):
            logger.exception("click queue failed on a batch of %s clicks", len(batch))
        if isinstance(error, Exception):
            self._unavailable_until = max(self._unavailable_until, time.monotonic() + self.UNAVAILABLE_SECONDS)
            logger.warning("click queue unavailable: %s clicks handed to the sender thread (%s)", len(batch), error)
        if click_queue.may_have_run(error):  # cancelled, or no answer read: Redis may have counted it; resent to
            batch = unanswered(batch)  # Redis (or spooled), never inline
        with self._lock:
            if self._in_flight is token:  # else taken back already (its loop seen closed or stopped)
                self._in_flight = None
                self._clicks[:0] = batch
            self._thread_wanted = True
            self._ready.notify()  # the sender thread
            self._landed_changed.notify_all()  # a thread waiting for the batch sends it

    def _wake_sender(self) -> None:
        """On the loop, which never waits for a thread: with the lock held elsewhere, tried again next iteration."""
        if not self._lock.acquire(blocking=False):
            asyncio.get_running_loop().call_soon(self._wake_sender)
            return
        try:
            self._wake_scheduled = None
            self._thread_wanted = True
            self._ready.notify()  # the sender thread, if it is waiting for clicks
        finally:
            self._lock.release()


def _running_on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether this thread runs ``loop`` now (not so for a coroutine finalised by the garbage collector)."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
