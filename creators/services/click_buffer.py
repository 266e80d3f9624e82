"""Clicks counted behind the redirect: ``/r/<code>/`` appends its click to this process's buffer, which
hands clicks to the click queue in batches (``click_queue.count_clicks``: one pipelined round trip per
batch).

Group commit (``KOLSHOP_CLICK_ACK_WAIT_MS`` > 0, the default): a follow returns only once its click's
batch is in Redis (the durable queue). The request that finds no batch in flight sends the buffer itself;
requests arriving meanwhile wait and the next of them sends theirs, so concurrent follows share one round
trip and a process killed with SIGKILL loses no click whose redirect was sent. The redirect carries the
id the queue counted (the visit's click; none over the client's click limit). Write-behind
(``KOLSHOP_CLICK_ACK_WAIT_MS=0``): a thread sends batches every ``KOLSHOP_CLICK_FLUSH_MS`` or 500 clicks,
the follow makes no round trip, and a SIGKILL loses the last few milliseconds.

What stays exact:
- **Once per visit.** A visitor's repeat within the rolling hour is found in this process's memory
  (the same click id at once), and across processes by the queue's script when the batch is counted:
  the later click is then not counted, and its reserved id (in a write-behind redirect's token) is left
  as an alias of the counted one, which attribution follows (``resolve_clicks``).
- **The client's click limit** (``KOLSHOP_RATE_LIMITS["click"]``) is counted by the same script per
  client, in Redis, so it holds across processes; a click over it is not counted (alias 0), as the
  view's counter did before, and its token leads to the link, not to a click.
- **Redis unreachable.** The batch is written inline (``write_inline``: ``links._count_inline``) by the
  same rules in the database: the limit in ``ClickLimitUse``, aliases in ``ClickAlias``. The database
  too: the batch is fsync'd to a local spool file (``click_spool``) and replayed once either is back.
  A batch Redis may have counted (no reply in time, a send cancelled) is only resent to Redis or spooled
  (``click_aside``).
- **No click lost on a normal stop.** The buffer is flushed at interpreter exit (gunicorn's graceful
  stop); a full buffer (``KOLSHOP_CLICK_BUFFER_SIZE``) makes the request flush it itself.

A follow decided on an event loop gets a ticket instead of waiting (``click_tickets``); the loop sends its
follows' batches itself (``click_loop_send.LoopSends``, mixed into ``ClickBuffer``, as ``click_aside.WritesAside``).
"""
import asyncio
import atexit
import contextvars
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import redis
from django.db import connections

from creators.models import ClickAlias
from creators.services import click_drain, click_queue, click_spool
from creators.services.click_aside import WritesAside, unanswered
from creators.services.click_loop_send import LoopSends
from creators.services.click_queue import QueuedClick
from creators.services.click_tickets import MustBlock, Ticket, answer_tickets, refuse_blocking_on_loop, take_tickets
from shop.cached_settings import cached_setting

logger = logging.getLogger(__name__)

COUNTED_KEPT = 10_000  # decisions kept for requests yet to read them (``_counted``)


class ClickBuffer(LoopSends, WritesAside):
    BATCH = 500
    UNAVAILABLE_SECONDS = 1.0  # after a failed background flush, requests flush (and fall back) themselves

    def __init__(self, *, write_inline: Callable[[list[QueuedClick]], list[int]]) -> None:
        self._write_inline = write_inline
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)  # the thread waits here for clicks
        self._landed_changed = threading.Condition(self._lock)  # requests wait here for their batch
        self._flushing = threading.Lock()
        self._clicks: list[tuple[int, QueuedClick]] = []  # (sequence number, click), oldest first
        self._appended = 0  # clicks ever buffered: the last sequence number
        self._landed = 0  # every click up to this sequence number is in the queue (or written inline)
        # sequence -> the id counted instead of the click's own, oldest first (``COUNTED_KEPT`` at most)
        self._counted: OrderedDict[int, int] = OrderedDict()
        # (link, visitor hash) -> (until, the visit's click id, its sequence number)
        self._seen: dict[tuple[int, str], tuple[float, int, int]] = {}
        self._tickets: list[Ticket] = []  # clicks appended on an event loop, awaiting their batch
        # The loop whose next iteration wakes the sender (None: no wake-up due); a loop closed before it ran its
        # wake-up (its last request cancelled) must not leave later follows without one.
        self._wake_scheduled: asyncio.AbstractEventLoop | None = None
        # loop -> its sending task (kept: a task nobody references may be collected while pending); a closed loop's
        # task, never finished, is dropped by the next loop's send
        self._sender_tasks: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}
        self._sender_tasks_lock = threading.Lock()  # loops in several threads change it
        # (loop, batch) a loop's send has in flight, awaiting Redis: taken out of ``_clicks`` under ``_lock``, no
        # threading lock held across the await; a thread sender waits for it to land (batches land in order),
        # or takes the batch back should its loop be closed or stopped (``_wait_for_loop_send``)
        self._in_flight: tuple[asyncio.AbstractEventLoop, list[tuple[int, QueuedClick]]] | None = None
        self._thread_wanted = False  # group commit: the loop hands the sender thread what it can't send itself
        self._unavailable_until = 0.0
        self._pid = os.getpid()
        self._thread: threading.Thread | bool | None = None  # None: nothing buffered yet; False: no thread

    def add(self, click: QueuedClick) -> int:
        """Buffer ``click`` unless this process counted the visit within the window; returns the id the
        redirect carries: the visit's counted click (0: over the client's click limit).

        With ``KOLSHOP_CLICK_ACK_WAIT_MS`` (group commit) the request returns only once the batch holding
        its click is in the queue, so no redirect is sent for a click only this process holds: the first
        request finding no batch in flight sends one itself (every click buffered so far), the others wait
        for it and the next of them sends what came meanwhile, one round trip for all. A request that
        waited that long hands the buffer on itself (inline, should Redis be down)."""
        if self._pid != os.getpid():  # a forked child: the parent flushes its own clicks
            self._reset()
        now = time.monotonic()
        group_commit = cached_setting("KOLSHOP_CLICK_ACK_WAIT_MS") > 0
        if (tickets := take_tickets()) is not None:
            return self._add_on_loop(click, tickets, now=now, group_commit=group_commit)
        with self._lock:
            repeat, sequence, counted = self._buffered(click, now=now)
            if not repeat:
                self._start(thread=not group_commit)
                buffered = len(self._clicks)
                flush_now = buffered >= cached_setting("KOLSHOP_CLICK_BUFFER_SIZE") or now < self._unavailable_until
                if not group_commit and buffered in (1, self.BATCH):  # wake the thread only to start a batch or
                    self._ready.notify()  # send a full one: a wake-up per click hands it the GIL on every follow
        if not group_commit:
            if not repeat and flush_now:
                self.flush()
            return counted
        self._commit(sequence, deadline=now + cached_setting("KOLSHOP_CLICK_ACK_WAIT_MS") / 1000)
        with self._lock:  # the first of the visit takes the answer; a repeat reads it, if still there
            return self._counted.get(sequence, counted) if repeat else self._counted.pop(sequence, counted)

    def _add_on_loop(self, click: QueuedClick, tickets: list[Ticket], *, now: float, group_commit: bool) -> int:
        """``add`` for a follow decided on the event loop (``click_tickets``): the click is appended and the
        sender thread woken, nothing waited for; the id returned is provisional until the ticket put in
        ``tickets`` is answered. ``MustBlock`` (nothing counted) where ``add`` would wait or write itself."""
        deadline = now + cached_setting("KOLSHOP_CLICK_ACK_WAIT_MS") / 1000
        if not self._lock.acquire(blocking=False):
            raise MustBlock  # held only briefly, but the loop never waits for a thread
        try:
            if (not group_commit or now < self._unavailable_until
                    or len(self._clicks) + 1 >= cached_setting("KOLSHOP_CLICK_BUFFER_SIZE")):
                raise MustBlock
            repeat, sequence, counted = self._buffered(click, now=now)
            if repeat and self._landed >= sequence:  # the visit's batch is in: today's answer, no wait
                return self._counted.get(sequence, counted)
            self._start(thread=True)
            loop = asyncio.get_running_loop()
            if self._wake_scheduled is not loop:  # one per iteration of this loop (another's may be closed)
                self._wake_scheduled = loop
                loop.call_soon(self._send_on_loop, context=contextvars.Context())
            ticket = Ticket(sequence, repeat, deadline, counted, loop)
            self._tickets.append(ticket)
        finally:
            self._lock.release()
        tickets.append(ticket)
        return counted

    def _buffered(self, click: QueuedClick, *, now: float) -> tuple[bool, int, int]:
        """(repeat, sequence, id): the visit's click when this process counted it within the window, else
        ``click`` appended to the buffer. Call holding ``_lock``."""
        for visitor in click.visitor_candidates:
            until, counted, sequence = self._seen.get((click.link_id, visitor), (0.0, 0, 0))
            if until > now:
                return True, sequence, counted
        self._appended += 1
        self._remember(click.link_id, click.visitor_candidates[0], click.click_id, self._appended,
                       now + click.window_seconds)
        self._clicks.append((self._appended, click))
        return False, self._appended, click.click_id

    def settle(self, ticket: Ticket) -> None:
        """A ticket not answered by its deadline: its click sent now, as a waiting request sends its own
        (inline should Redis be down); in a thread."""
        self._commit(ticket.sequence, deadline=0.0)

    def _commit(self, sequence: int, *, deadline: float) -> None:
        """Return once click ``sequence`` is in the queue (or written inline): send the buffer when no
        one else is sending, else wait for the sender, until ``deadline``; then flush, waiting behind it."""
        while True:
            if self._flushing.acquire(blocking=False):
                try:
                    self._send(until=sequence)
                finally:
                    self._release_flushing()
                return
            with self._lock:
                if self._landed >= sequence:
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if self._flushing.locked():  # else it was let go since: try again to send
                    self._landed_changed.wait(timeout=remaining)
        self.flush()

    def _release_flushing(self) -> None:
        self._flushing.release()
        with self._lock:  # a waiting request whose click is still buffered sends it now
            self._landed_changed.notify_all()

    def _remember(self, link_id: int, visitor: str, click_id: int, sequence: int, until: float) -> None:
        if len(self._seen) >= 100_000:
            self._seen.clear()  # the queue's script still deduplicates; this only saves round trips
        self._seen[(link_id, visitor)] = (until, click_id, sequence)

    def declines_on_loop(self) -> bool:
        """Whether a follow's click would be refused on the event loop now (``_add_on_loop``'s ``MustBlock``: the
        write-behind mode, an outage window, a full buffer), so the fast path goes to a thread before running the
        follow's chain on the loop at all. Read without the lock: a stale answer costs a chain run or a thread."""
        return (not cached_setting("KOLSHOP_CLICK_ACK_WAIT_MS") or time.monotonic() < self._unavailable_until
                or len(self._clicks) + 1 >= cached_setting("KOLSHOP_CLICK_BUFFER_SIZE"))

    def pending(self) -> int:
        with self._lock:
            return len(self._clicks)

    def flush(self, *, background: bool = False) -> int:
        """Count everything buffered; returns how many clicks were handed on. A background flush that
        finds Redis unreachable puts its batch back (requests then flush, and fall back, themselves);
        any other writes the batch inline, but for clicks Redis may have counted (spooled for Redis:
        ``click_aside``)."""
        self._flushing.acquire()
        try:
            return self._send(background=background)
        finally:
            self._release_flushing()

    def _send(self, *, background: bool = False, until: int | None = None) -> int:
        """Hand on batches of the buffer (until click ``until`` is in); the caller holds ``_flushing``."""
        handed = 0
        self._wait_for_loop_send()
        while until is None or self._landed < until:
            with self._lock:
                batch, self._clicks = self._clicks[:self.BATCH], self._clicks[self.BATCH:]
            if not batch:
                return handed
            self._kept_unknown = False  # this batch's own: a batch kept earlier stops no later pass
            try:
                if not background and time.monotonic() < self._unavailable_until:  # Redis just failed: skip
                    raise click_queue.NotSent("the click queue failed less than a second ago")
                counted = click_queue.count_clicks([click for _sequence, click in batch])
            except Exception as error:  # Redis unreachable, or anything else (a bug, a reply it could not read): the
                # batch is never dropped; it is kept (write-behind) or written inline, and the queue rested a second
                if not isinstance(error, redis.RedisError):
                    logger.exception("click queue failed on a batch of %s clicks", len(batch))
                self._unavailable_until = max(self._unavailable_until, time.monotonic() + self.UNAVAILABLE_SECONDS)
                if click_queue.may_have_run(error):  # sent, no answer read: Redis may have counted it
                    batch = unanswered(batch)
                if background:
                    with self._lock:
                        self._clicks[:0] = batch
                    logger.warning("click queue unavailable: %s clicks kept in the buffer (%s)", len(batch), error)
                    return handed
                counted = self._write_aside(batch, cause=error)
            self._learn(batch, counted)
            if self._kept_unknown:  # at the buffer's head again: the next flush tries them (this one would loop)
                return handed + len(batch)
            if counted is not None:  # the way in works: hand on what an outage spooled here or in a dead process
                click_spool.replay_due(hand_on=self.hand_on)
            handed += len(batch)
        return handed

    def _learn(self, batch: list[tuple[int, QueuedClick]], counted: list[int] | None, *, token: tuple | None = None) -> None:
        """The batch is in: what the queue decided replaces what this process guessed (another process's
        click, or none), and requests waiting for it go on. ``counted`` None: spooled, each its own id for now.
        ``token``: the loop's batch in flight, no longer once learnt (in the same hold of the lock)."""
        with self._lock:
            if token is not None and self._in_flight is token:
                self._in_flight = None
            for (sequence, click), counted_id in zip(batch, counted or []):
                if counted_id == click.click_id:
                    continue
                if len(self._counted) >= COUNTED_KEPT:  # the oldest, mostly left by requests that never ask (the
                    self._counted.popitem(last=False)  # write-behind mode, tickets); a waiter's survives that many newer
                self._counted[sequence] = counted_id
                key = (click.link_id, click.visitor_candidates[0])
                if counted_id == 0:
                    self._seen.pop(key, None)
                elif key in self._seen:
                    until, _click_id, seen_sequence = self._seen[key]
                    self._seen[key] = (until, counted_id, seen_sequence)
            self._landed = max(self._landed, batch[-1][0])
            self._landed_changed.notify_all()
            answered = self._answered_tickets() if self._tickets else []
        if answered:
            answer_tickets(answered)

    def _answered_tickets(self) -> list[Ticket]:
        """The tickets whose click is in, each given the id counted for its visit (as ``add`` returns it: a
        repeat reads the decision, the visit's first click takes it). Call holding ``_lock``."""
        answered = [ticket for ticket in self._tickets if ticket.sequence <= self._landed]
        if answered:
            self._tickets = [ticket for ticket in self._tickets if ticket.sequence > self._landed]
            for ticket in answered:
                ticket.answer = self._counted.get(ticket.sequence, ticket.provisional)
            for ticket in answered:  # as ``add``: the visit's first click takes its decision (none left behind to
                if not ticket.repeat:  # fill ``COUNTED_KEPT`` and push a waiting request's out); repeats read it first
                    self._counted.pop(ticket.sequence, None)
        return answered

    def _start(self, *, thread: bool) -> None:
        """At exit the buffer is flushed; the thread sends batches in write-behind (no request waits)."""
        if self._thread is None:
            atexit.register(self.flush)
            self._thread = False
        if thread and not (self._thread and self._thread.is_alive()):  # a sender that died is started again
            self._thread = threading.Thread(target=self._run, name="click-buffer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:  # in group commit the loop sends its follows' clicks: the thread only when asked
                self._ready.wait_for(lambda: self._clicks and (
                    self._thread_wanted or not cached_setting("KOLSHOP_CLICK_ACK_WAIT_MS")))
                self._thread_wanted = False
                if not cached_setting("KOLSHOP_CLICK_ACK_WAIT_MS"):  # write-behind: wait for a fuller batch
                    self._ready.wait_for(lambda: len(self._clicks) >= self.BATCH,
                                         timeout=cached_setting("KOLSHOP_CLICK_FLUSH_MS") / 1000)
            try:  # group commit (the loop's follows wait): an unreachable Redis means inline, as a request does
                self.flush(background=not cached_setting("KOLSHOP_CLICK_ACK_WAIT_MS"))
            except Exception:  # noqa: BLE001  (the thread must outlive any one batch; the batch is put back)
                logger.exception("click buffer flush failed")
            if time.monotonic() < self._unavailable_until:  # written inline: this thread's connection let go,
                connections.close_all()  # as a request's is when it ends
                time.sleep(self.UNAVAILABLE_SECONDS)


_buffer: ClickBuffer | None = None


def click_buffer(*, write_inline: Callable[[list[QueuedClick]], list[int]]) -> ClickBuffer:
    global _buffer
    if _buffer is None:
        _buffer = ClickBuffer(write_inline=write_inline)
    return _buffer


def click_buffer_if_made() -> ClickBuffer | None:
    return _buffer


def buffering_enabled() -> bool:
    return cached_setting("KOLSHOP_CLICK_FLUSH_MS") > 0 and click_queue.queue_enabled()


def flush_clicks() -> int:
    """Hand this process's buffered clicks to the queue now (tests, the bench, attribution)."""
    return _buffer.flush() if _buffer is not None else 0


def resolve_clicks(click_ids: set[int]) -> dict[int, int]:
    """Make sure the clicks ``click_ids`` name are written (an order is being attributed to them) and
    return the ids that stand for another: a repeat counted late points at the visit's counted click;
    a click over its client's limit is left out (it was never counted).

    An id found nowhere may still sit in another process's buffer: looked for once more after a flush
    interval. Ids counted while Redis was unreachable have their aliases in the database (``ClickAlias``)."""
    try:
        aliases, written = _resolved(click_ids)
    except redis.RedisError:  # Redis down: the clicks it holds can't be read now; an order is still placed or paid
        logger.warning("click queue unavailable: %d click ids resolved from the database only", len(click_ids))
        aliases, written = {}, set()
    if unknown := click_ids - aliases.keys() - written:
        aliases.update((reserved, counted or 0) for reserved, counted in
                       ClickAlias.objects.filter(pk__in=unknown).values_list("reserved_id", "counted_id"))
    return {click_id: counted for click_id, counted in aliases.items() if counted}


def _resolved(click_ids: set[int]) -> tuple[dict[int, int], set[int]]:
    flush_clicks()
    aliases: dict[int, int] = {}
    for attempt in range(2):
        found = click_queue.click_aliases(sorted(click_ids - aliases.keys()))
        aliases.update(found)
        wanted = (click_ids - aliases.keys()) | {counted for counted in aliases.values() if counted}
        written = click_drain.write_pending_clicks(wanted)
        unknown = click_ids - aliases.keys() - written
        if not unknown or attempt or not buffering_enabled():
            break
        time.sleep(2 * cached_setting("KOLSHOP_CLICK_FLUSH_MS") / 1000)
    return aliases, written


def never_counted(click_id: int) -> bool:
    """A reserved id the counting script refused (its client over the click limit): no click will ever
    have it. An id still buffered, counted, or standing for a repeat is not (``resolve_clicks`` follows it)."""
    refuse_blocking_on_loop()  # a round trip, and a query: a follow on the event loop asks in a thread
    try:
        if (counted := click_queue.click_aliases([click_id]).get(click_id)) is not None:
            return counted == 0
    except redis.RedisError:
        pass
    return ClickAlias.objects.filter(pk=click_id, counted_id=None).exists()
