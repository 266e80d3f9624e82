"""Owed cache settles kept in the database (``OwedCacheSettle``), so that a lost invalidation is made up for even
when the process that lost it is killed, and the settler thread every app process runs to pay them.

Recording (``record_owed``): a lost invalidation appends a row with a plain INSERT, in the change's transaction when
there is one (the debt commits with the change, or neither does), so writers never wait for each other. While any
committed row of the cache is there unpaid (unclaimed, or its payer's lease ran out), a new loss only checks that (one
read of a table that is empty outside an outage) instead of appending: a claim takes every unpaid row of the cache at
once and settles after it, so after this loss. So an outage leaves about one row per cache, however long it lasts and
however many processes lose writes; transactions that each lose a write before any commits may append one each.

Paying (``SharedCache._pay``, called by the owing process on its next use of the cache and by the settler thread):
once the cache answers a probe, the cache's unclaimed rows (or those whose lease ran out: their payer died) are
claimed with one ``UPDATE`` that commits at once (``claim``, leased until ``claimed_until`` by the database's clock;
rows another payer has locked are skipped, never waited for), then the cache is settled with no row lock held, then
the claimed rows are deleted; when the settle fails they are released for the next pass. Only rows committed before
the claim are claimed, so only rows recorded before the settle began are deleted. Two payers never pay the same row
(the second's ``UPDATE`` skips rows the first claimed or is claiming); a payer whose own process owes settles
anyway, so the fleet settles once per owing process that reaches the cache before the settler, not once per settler.
A payer inside a transaction (an editor's publish) does not claim (the claim would hold row locks until that
transaction ends): it settles its own debt and leaves the rows to a settler.

The settler thread (``start_settler``, started by ``settings.wsgi`` / ``settings.asgi``) looks every
``SETTLE_SECONDS`` while its process owes or saw the cache fail in the last ``ALERT_SECONDS``, and every
``IDLE_SETTLE_SECONDS`` otherwise; a look that finds nothing is one query (the caches named in the table, which is
empty but for an outage's debts) on a connection the thread keeps. A process that exits cleanly pays its own debts
once more (``atexit``). So after the server is back, an entry a lost invalidation made stale is served (by any
process, including one started after the outage) for at most ``SETTLE_SECONDS`` + ``RETRY_SECONDS`` while an app
process that saw the outage lives, and ``IDLE_SETTLE_SECONDS`` + ``RETRY_SECONDS`` when only processes that did not
see it are left, even when the owing one was killed; when a payer is killed in the middle of a settle, its claimed
rows wait for its lease (``LEASE_SECONDS``) first. After any settle its process made (a request's or its own), the
settler runs the cache's ``after_settle`` once (link routes: a SCAN deleting the previous release's twins), which no
request does; so does the settle at exit. A process without a settler thread (a command, a worker) doesn't. Left to
the entries' own expiry: a debt the database refused to record too (it was down as well), or a process killed
between a commit and recording the loss of the forget repeated after it."""

import atexit
import datetime as dt
import logging
import threading
import time
import uuid
from dataclasses import dataclass

from django.core.exceptions import SynchronousOnlyOperation
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone

from operations import cache_guard
from operations.process_loops import start_process_loop

logger = logging.getLogger("kolshop.cache")

SETTLE_SECONDS = 5.0  # how often a process's settler thread pays what it owes, in and after an outage it saw
IDLE_SETTLE_SECONDS = 15.0  # how often it looks for other processes' recorded debts otherwise
ALERT_SECONDS = 600.0  # how long after this process last saw the cache fail it keeps looking every SETTLE_SECONDS
LEASE_SECONDS = 60.0  # how long a claim keeps other payers off its rows (a settle is one cache call)

_settler_registered = False
_settler_looked_at: float | None = None  # time.monotonic() of the settler's latest look at the database


def _alias() -> str:
    from operations.models import OwedCacheSettle

    return router.db_for_write(OwedCacheSettle)


def record_owed(name: str) -> None:
    """Record in the database that ``name``'s settle is owed, unless a committed row of it is there unpaid; a database
    that refuses leaves it owed by this process only."""
    from operations.models import OwedCacheSettle

    alias = _alias()
    try:
        with transaction.atomic(using=alias):  # a savepoint inside the change's transaction: a refusal spoils nothing
            if _unpaid(alias, name).exists():
                return  # whoever claims it settles after this read, so after this loss
            OwedCacheSettle.objects.using(alias).create(cache=name, lost_at=timezone.now())
    except (DatabaseError, SynchronousOnlyOperation):
        logger.warning("an owed cache settle could not be recorded (%s): only this process owes it", name)


def _unpaid(alias: str, name: str):
    """``name``'s rows nobody is paying: unclaimed, or their payer's lease ran out (it died)."""
    from operations.models import OwedCacheSettle

    return OwedCacheSettle.objects.using(alias).filter(Q(claim__isnull=True) | Q(claimed_until__lt=Now()), cache=name)


@dataclass(frozen=True)
class Claim:
    """Rows of one cache claimed by one payer (``rows``: how many; 0 when none or the database could not be asked)."""

    alias: str
    token: uuid.UUID | None
    rows: int

    def paid(self) -> None:
        """Delete the rows paid; not those whose lease ran out meanwhile: a loss may have relied on them as unpaid
        after this settle began (``record_owed``), so the next payer settles again."""
        self._then(lambda claimed: claimed.filter(claimed_until__gte=Now()).delete(), "deleting paid")

    def release(self) -> None:
        """Give the rows back after a failed settle; those of a cache with an unclaimed row already (a loss recorded
        after the claim, which pays theirs too) are deleted instead, so retries in an outage don't add a row each."""
        self._then(_release, "releasing")

    def _then(self, change, what: str) -> None:
        from operations.models import OwedCacheSettle

        if not self.rows:
            return
        try:
            change(OwedCacheSettle.objects.using(self.alias).filter(claim=self.token))
        except (DatabaseError, SynchronousOnlyOperation):  # the lease runs out: another payer settles them again
            logger.warning("%s owed cache settles failed", what, exc_info=True)


def _release(claimed) -> None:
    from operations.models import OwedCacheSettle

    with transaction.atomic(using=claimed.db):
        covered = OwedCacheSettle.objects.using(claimed.db).filter(cache=OuterRef("cache"), claim__isnull=True)
        claimed.filter(Exists(covered)).delete()
        claimed.update(claim=None, claimed_until=None)


def claim_recorded(name: str) -> Claim:
    """Claim ``name``'s recorded rows nobody is paying (unclaimed, or their lease ran out), committed at once."""
    from operations.models import OwedCacheSettle

    alias = _alias()
    if connections[alias].in_atomic_block:
        return Claim(alias, None, 0)  # the claim would hold row locks until the caller's transaction ends
    token = uuid.uuid4()
    unpaid = _unpaid(alias, name)
    try:
        # A read first: the usual answer (none) then takes no write lock (SQLite's would wait for any open writer).
        if not unpaid.exists():
            return Claim(alias, token, 0)
        lease = Now() + dt.timedelta(seconds=LEASE_SECONDS)
        # Rows another payer is claiming (or a previous release's settler holds) are skipped, never waited for.
        free = unpaid.select_for_update(skip_locked=True).values("pk")
        with transaction.atomic(using=alias):
            claimed = OwedCacheSettle.objects.using(alias).filter(pk__in=free).update(claim=token, claimed_until=lease)
    except (DatabaseError, SynchronousOnlyOperation):
        return Claim(alias, None, 0)  # the database down too: this process's own debt is paid all the same
    return Claim(alias, token, int(claimed))


def pay_recorded_settles() -> int:
    """Pay the settles recorded in the database (by any process, dead or alive) once the cache answers; the number of
    caches whose rows this pass left recorded (-1: it could not look). A row still uncommitted (its change's
    transaction open) is not seen: a later pass pays it."""
    from operations.models import OwedCacheSettle

    if cache_guard.cache_is_down():
        return -1
    names = set(OwedCacheSettle.objects.using(_alias()).values_list("cache", flat=True).distinct())
    left = 0
    for name in sorted(names):
        shared = cache_guard._shared_caches.get(name)
        if shared is None or shared._settle is None or not shared._pay():
            left += 1  # another release's cache, or the cache still down: the next pass
    return left


def settle_owed() -> int:
    """Pay the settles recorded in the database, then every settle this process still owes; the number of caches this
    process still owes."""
    try:
        pay_recorded_settles()
    finally:  # the database down too: this process's own debts are paid all the same
        owed = _pay_own()
    return owed


def _pay_own() -> int:
    return sum(not shared._ready() for shared in cache_guard._shared_caches.values() if shared.owes_settle)


def start_settler() -> threading.Event:
    """Pay owed settles in a daemon thread of this process, traffic or not (one per process; a forked child starts its
    own, ``operations.process_loops``), and once more at a clean exit. Returns the event that stops it."""
    global _settler_registered, _settler_looked_at
    if not _settler_registered:
        _settler_registered = True
        atexit.register(_settle_at_exit)
    _settler_looked_at = None
    return start_process_loop("cache-settler", _settle_in_thread, every=lambda: SETTLE_SECONDS,
                              at_end=_close_settler_connection)


def settler_is_alert() -> bool:
    """Whether the settler looks at the database every ``SETTLE_SECONDS``: this process owes, or saw the cache fail
    within ``ALERT_SECONDS``."""
    failed = cache_guard._breaker.last_failed
    owes = any(shared.owes_settle for shared in cache_guard._shared_caches.values())
    return owes or (failed is not None and time.monotonic() - failed < ALERT_SECONDS)


def _settle_in_thread() -> None:
    """One pass: every ``SETTLE_SECONDS`` when alert, else a look every ``IDLE_SETTLE_SECONDS`` (passes between
    cost nothing). The thread's connection is kept between looks and closed when one fails (it may be broken)."""
    global _settler_looked_at
    _follow_up_settles()  # this process's settles since the last pass, a request's too (no database)
    now = time.monotonic()
    if not settler_is_alert() and _settler_looked_at is not None and now - _settler_looked_at < IDLE_SETTLE_SECONDS:
        return
    _settler_looked_at = now
    try:
        settle_owed()
    except DatabaseError:
        _close_settler_connection()
        raise  # logged by the loop; the next pass connects again
    _follow_up_settles()


def _follow_up_settles() -> None:
    """Run each cache's ``after_settle`` once after any number of settles this process made since it last ran (here
    only: it may scan the cache's keyspace); one that fails (the cache down again) runs at the next pass."""
    for shared in list(cache_guard._shared_caches.values()):
        settles = shared.settles
        if shared.after_settle is None or shared.settles_followed_up == settles:
            continue
        missing = object()
        if cache_guard.guarded(shared.after_settle, cache_guard.default_cache, fallback=missing) is not missing:
            shared.settles_followed_up = settles


def _close_settler_connection() -> None:
    connections.close_all()  # this thread's own


def _settle_at_exit() -> None:
    """This process's own debts only (and the rows of the caches it settles; the database may be gone by now)."""
    try:
        _pay_own()
        _follow_up_settles()  # the settler thread won't run again in this process
    except Exception:  # noqa: BLE001  (exiting anyway: the entries' own expiry is left)
        logger.warning("paying owed cache settles at exit failed", exc_info=True)
