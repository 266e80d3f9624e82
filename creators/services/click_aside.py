"""Where ``ClickBuffer``'s batch goes when Redis did not take it (mixed into it, as ``click_loop_send.LoopSends``):
written inline by the queue's rules in the database (``links._count_inline``), or fsync'd to the spool when the
database fails too (``click_spool``).

A batch sent to Redis without an answer (its reply timed out, its send cancelled, its loop closed mid-send) may have
been counted there: a repeat counted as the visit's earlier click still in the stream, its client's limit spent. The
database knows none of that, so its clicks (``QueuedClick.outcome_unknown``) are only ever counted by Redis again:
resent (the counting script answers a reserved id's own click or alias before it spends the limit) or spooled, and a
replay with Redis still down leaves them in the spool rather than writing them inline."""

import dataclasses
import heapq
import logging
import threading
from collections.abc import Callable

import redis

from creators.services import click_queue, click_spool
from creators.services.click_queue import QueuedClick, may_have_run

# Deliberately the buffer's logger: these are the buffer's messages, one name to filter on.
logger = logging.getLogger("creators.services.click_buffer")


class WritesAside:
    """``ClickBuffer``'s batches Redis did not take (mixed into it)."""

    # ClickBuffer's, relied on here
    _lock: threading.Lock
    _clicks: list[tuple[int, QueuedClick]]
    _write_inline: Callable[[list[QueuedClick]], list[int]]
    _kept_unknown = False  # a flush put back clicks Redis may have counted (the spool failing): it stops there

    def _write_aside(self, batch: list[tuple[int, QueuedClick]], *, cause: Exception) -> list[int] | None:
        """A batch Redis did not take, written inline, but for clicks Redis may have counted (``outcome_unknown``:
        the database knows none of Redis' visits, aliases or limit spent), spooled to be resent to Redis only. The
        database failing too: the whole batch spooled. None: spooled, each its own id for now."""
        logger.warning("click queue unavailable: %s clicks written inline or spooled (%s)", len(batch), cause)
        known = [click for _sequence, click in batch if not click.outcome_unknown]
        if len(known) < len(batch):
            unknown = [entry for entry in batch if entry[1].outcome_unknown]
            try:
                click_spool.spool_clicks([click for _sequence, click in unknown])
            except Exception:  # noqa: BLE001 - kept for Redis alone; the others still go inline, no follow held up
                logger.exception("%s clicks Redis may have counted could not be spooled: kept in the buffer",
                                 len(unknown))
                self._put_back_in_order(unknown)
                self._kept_unknown = True
        if not known:  # nothing shows the way in works: no replay now
            return None
        try:
            counted = iter(self._write_inline(known))
        except Exception as database_error:  # the database too: spooled, or kept if that fails too (the marked
            known_entries = [entry for entry in batch if not entry[1].outcome_unknown]  # ones spooled or kept above)
            return self._spool(known_entries, cause=database_error)
        return [click.click_id if click.outcome_unknown else next(counted) for _sequence, click in batch]

    def _spool(self, spooled: list[tuple[int, QueuedClick]], *, cause: Exception) -> None:
        """``spooled`` goes to this process's spool file (``click_spool``), so a kill loses none of its acknowledged
        clicks; each click's redirect carries its own reserved id. If it can't be, ``spooled`` is put back in the
        buffer (never dropping others' clicks; one written inline is found there when written again) and ``cause``
        is raised."""
        try:
            click_spool.spool_clicks([click for _sequence, click in spooled])
        except Exception as error:
            self._put_back_in_order(spooled)
            raise cause from error

    def _put_back_in_order(self, entries: list[tuple[int, QueuedClick]]) -> None:
        """``entries`` back in the buffer in sequence order among those put back before them (a batch's marked
        clicks then its unmarked ones): batches land in order (``_landed``), so a waiter's click is never behind a
        later one."""
        with self._lock:
            self._clicks = list(heapq.merge(entries, self._clicks, key=lambda entry: entry[0]))

    def hand_on(self, clicks: list[QueuedClick]) -> list[int]:
        """Count clicks in the queue, else inline (a spooled batch replayed; inline too on a process with no
        queue configured, e.g. one restarted without Redis: ``count_clicks`` then raises a connection error)."""
        try:
            return click_queue.count_clicks(clicks)
        except redis.RedisError as error:
            if may_have_run(error) or any(click.outcome_unknown for click in clicks):
                raise  # Redis may have counted some: only Redis counts them (the spool replay keeps them, marked)
            return self._write_inline(clicks)


def unanswered(batch: list[tuple[int, QueuedClick]]) -> list[tuple[int, QueuedClick]]:
    """``batch`` sent to Redis with no answer: each click's outcome unknown (``QueuedClick.outcome_unknown``)."""
    return [(sequence, dataclasses.replace(click, outcome_unknown=True)) for sequence, click in batch]
