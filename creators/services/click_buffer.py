"""Clicks counted behind the redirect: ``/r/<code>/`` appends its click to this process's buffer and a
background thread hands the buffer to the click queue in batches (``click_queue.count_clicks``: one
pipelined round trip per batch, every ``KOLSHOP_CLICK_FLUSH_MS`` or 500 clicks), so a follow makes no
round trip to Redis at all.

What stays exact:
- **Once per visit.** A visitor's repeat within the rolling hour is found in this process's memory
  (the same click id at once), and across processes by the queue's script when the batch is counted:
  the later click is then not counted, and its reserved id (already in the redirect's token) is left
  as an alias of the counted one, which attribution follows (``resolve_clicks``).
- **The client's click limit** (``KOLSHOP_RATE_LIMITS["click"]``) is counted by the same script per
  client, in Redis, so it holds across processes; a click over it is not counted (alias 0), as the
  view's counter did before, and its token leads to the link, not to a click.
- **No click lost on a normal stop.** The buffer is flushed at interpreter exit (gunicorn's graceful
  stop); a full buffer (``KOLSHOP_CLICK_BUFFER_SIZE``) makes the request flush it itself; while Redis
  is unreachable the request flushes and the batch is written inline (``write_inline``), as an
  unbuffered click would be. A process killed with SIGKILL loses at most the last few milliseconds.
"""

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings

from creators.services import click_queue
from creators.services.click_queue import QueuedClick

logger = logging.getLogger(__name__)

BATCH = 500
UNAVAILABLE_SECONDS = 1.0  # after a failed background flush, requests flush (and fall back) themselves


class ClickBuffer:
    def __init__(self, *, write_inline: Callable[[list[QueuedClick]], None]) -> None:
        self._write_inline = write_inline
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._flushing = threading.Lock()
        self._clicks: list[QueuedClick] = []
        self._seen: dict[tuple[int, str], tuple[float, int]] = {}  # (link, visitor hash) -> (until, click id)
        self._unavailable_until = 0.0
        self._pid = os.getpid()
        self._thread: threading.Thread | None = None

    def add(self, click: QueuedClick) -> int:
        """Buffer ``click`` unless this process counted the visit within the window; returns the id the
        redirect carries (the visit's counted click, as far as this process knows)."""
        if self._pid != os.getpid():  # a forked child: the parent flushes its own clicks
            self._reset()
        now = time.monotonic()
        with self._lock:
            for visitor in click.visitor_candidates:
                until, counted = self._seen.get((click.link_id, visitor), (0.0, 0))
                if until > now:
                    return counted
            self._remember(click.link_id, click.visitor_candidates[0], click.click_id, now + click.window_seconds)
            self._clicks.append(click)
            self._start()
            buffered = len(self._clicks)
            full = buffered >= settings.KOLSHOP_CLICK_BUFFER_SIZE
            if buffered in (1, BATCH):  # wake the thread only to start a batch or send a full one: a
                self._ready.notify()    # wake-up per click hands it the GIL on every follow
        if full or now < self._unavailable_until:
            self.flush()
        return click.click_id

    def _remember(self, link_id: int, visitor: str, click_id: int, until: float) -> None:
        if len(self._seen) >= 100_000:
            self._seen.clear()  # the queue's script still deduplicates; this only saves round trips
        self._seen[(link_id, visitor)] = (until, click_id)

    def pending(self) -> int:
        with self._lock:
            return len(self._clicks)

    def flush(self, *, background: bool = False) -> int:
        """Count everything buffered; returns how many clicks were handed on. A background flush that
        finds Redis unreachable puts its batch back (requests then flush, and fall back, themselves);
        any other writes the batch inline."""
        handed = 0
        with self._flushing:
            while True:
                with self._lock:
                    batch, self._clicks = self._clicks[:BATCH], self._clicks[BATCH:]
                if not batch:
                    return handed
                try:
                    counted = click_queue.count_clicks(batch)
                except redis.RedisError as error:
                    if background:
                        with self._lock:
                            self._clicks[:0] = batch
                        self._unavailable_until = time.monotonic() + UNAVAILABLE_SECONDS
                        logger.warning("click queue unavailable: %s clicks kept in the buffer (%s)", len(batch), error)
                        return handed
                    logger.warning("click queue unavailable: %s clicks written inline", len(batch))
                    self._write_inline(batch)
                else:
                    self._learn(batch, counted)
                handed += len(batch)

    def _learn(self, batch: list[QueuedClick], counted: list[int]) -> None:
        """What the queue decided replaces what this process guessed (another process's click, or none)."""
        with self._lock:
            for click, counted_id in zip(batch, counted):
                if counted_id == click.click_id:
                    continue
                key = (click.link_id, click.visitor_candidates[0])
                if counted_id == 0:
                    self._seen.pop(key, None)
                elif key in self._seen:
                    self._seen[key] = (self._seen[key][0], counted_id)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="click-buffer", daemon=True)
            self._thread.start()
            atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._ready.wait_for(lambda: self._clicks)
                self._ready.wait_for(lambda: len(self._clicks) >= BATCH,
                                     timeout=settings.KOLSHOP_CLICK_FLUSH_MS / 1000)
            try:
                self.flush(background=True)
            except Exception:  # noqa: BLE001  (the thread must outlive any one batch; the batch is put back)
                logger.exception("click buffer flush failed")
            if time.monotonic() < self._unavailable_until:
                time.sleep(UNAVAILABLE_SECONDS)


_buffer: ClickBuffer | None = None


def click_buffer(*, write_inline: Callable[[list[QueuedClick]], None]) -> ClickBuffer:
    global _buffer
    if _buffer is None:
        _buffer = ClickBuffer(write_inline=write_inline)
    return _buffer


def buffering_enabled() -> bool:
    return settings.KOLSHOP_CLICK_FLUSH_MS > 0 and click_queue.queue_enabled()


def flush_clicks() -> int:
    """Hand this process's buffered clicks to the queue now (tests, the bench, attribution)."""
    return _buffer.flush() if _buffer is not None else 0


def resolve_clicks(click_ids: set[int]) -> dict[int, int]:
    """Make sure the clicks ``click_ids`` name are written (an order is being attributed to them) and
    return the ids that stand for another: a repeat counted late points at the visit's counted click;
    a click over its client's limit is left out (it was never counted).

    An id found nowhere may still sit in another process's buffer: looked for once more after a flush
    interval."""
    try:
        return _resolved(click_ids)
    except redis.RedisError:  # Redis down: the clicks it holds can't be read now; an order is still placed or paid
        logger.warning("click queue unavailable: %d click ids left unresolved", len(click_ids))
        return {}


def _resolved(click_ids: set[int]) -> dict[int, int]:
    flush_clicks()
    aliases: dict[int, int] = {}
    for attempt in range(2):
        found = click_queue.click_aliases(sorted(click_ids - aliases.keys()))
        aliases.update(found)
        wanted = (click_ids - aliases.keys()) | {counted for counted in aliases.values() if counted}
        written = click_queue.write_pending_clicks(wanted)
        unknown = click_ids - aliases.keys() - written
        if not unknown or attempt or not buffering_enabled():
            break
        time.sleep(2 * settings.KOLSHOP_CLICK_FLUSH_MS / 1000)
    return {click_id: counted for click_id, counted in aliases.items() if counted}


def never_counted(click_id: int) -> bool:
    """A reserved id the counting script refused (its client over the click limit): no click will ever
    have it. An id still buffered, counted, or standing for a repeat is not (``resolve_clicks`` follows it)."""
    try:
        return click_queue.click_aliases([click_id]).get(click_id) == 0
    except redis.RedisError:
        return False
