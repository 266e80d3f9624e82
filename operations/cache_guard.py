"""The shared cache (Redis in production) is a shortcut: while it can't be reached a request still
succeeds, and what the cache would have answered is found elsewhere or not at all.

Every use of the cache on the buy path goes through ``SharedCache`` (or ``guarded``) rather than
django-redis's global ``IGNORE_EXCEPTIONS``, because an outage means something different per use:

- a read finds nothing (a page is rendered, a flag is asked of the database);
- a write is skipped. A skipped *fill* (``add``, ``fill``, ``fill_many``: an entry or a token stored for later
  readers) costs a later miss and nothing else. A skipped *invalidation* (``set``, ``set_many``, ``delete``,
  ``delete_many``: a page token moved after a sale, a route forgotten) would let the entries written before it be
  served again once the server is back, so the ``SharedCache`` that lost it *owes* its ``settle``: before it reads
  or writes anything again in this process, it calls ``settle`` (which makes everything it wrote before
  unusable, e.g. moves a generation), and while that fails it keeps answering "nothing". The debt is also
  recorded in the database (``OwedCacheSettle``, a row per lost write appended in the transaction of the change
  when there is one: writers never wait for each other), where one process's settler claims and pays it once the
  cache answers;
- a counter (a rate limit) decides for itself (``shop.rate_limits``).

After an outage error the cache is not tried again for ``RETRY_SECONDS`` (per process), so a Redis that
hangs costs one socket timeout, not one per call.

What a process owes it pays without waiting for its next use of that cache: a thread of its own (``start_settler``,
started by ``settings.wsgi`` / ``settings.asgi``) pays every owed settle, its own and those recorded in the
database by any process, and a process that exits cleanly tries once more (``atexit``). The thread looks at the
database every ``SETTLE_SECONDS`` while its process owes or saw the cache fail in the last ``ALERT_SECONDS``, and
every ``IDLE_SETTLE_SECONDS`` otherwise, on a connection it keeps between looks. A recorded row is claimed
(``SELECT … FOR UPDATE SKIP LOCKED``) so exactly one settler pays it, and deleted in the same transaction as the
settle succeeded. So after the server is back, an entry a lost invalidation made stale is served (by any process,
including one started after the outage) for at most ``SETTLE_SECONDS`` plus ``RETRY_SECONDS`` while an app process
that saw the outage lives (``IDLE_SETTLE_SECONDS`` when only processes that did not see it are left), even when the
owing one was killed. What is left to the entries' own expiry (page JSON ``KOLSHOP_API_CACHE_SECONDS``,
link routes ``ROUTE_SECONDS``): a debt whose record the database refused too (it was down as well), or a process
killed between a commit and recording the loss of the forget repeated after it.

Code we can't guard reads the default cache itself: Wagtail's site root paths (every page URL in the content
API) and renditions, django-ratelimit. For that code the backend (``RedisCache`` below, django-redis's) absorbs
the outage as ``IGNORE_EXCEPTIONS`` would: a read finds nothing, a write is skipped. Only calls made through
``guarded`` see the error, so our own token moves are never lost silently. A global ignore alone would make a
failed token move silent, with nothing owed: the stale page JSON would come back with the server.
"""

import atexit
import contextvars
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.exceptions import SynchronousOnlyOperation
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone
from django_redis.cache import RedisCache as DjangoRedisCache
from django_redis.exceptions import ConnectionInterrupted

from operations.process_loops import start_process_loop

logger = logging.getLogger("kolshop.cache")

# django-redis re-raises the client's own error (redis.ConnectionError, redis.TimeoutError, a refused
# write's ResponseError); memcached clients raise socket errors (OSError).
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
RETRY_SECONDS = 1.0
SETTLE_SECONDS = 5.0  # how often a process's settler thread pays what it owes, in and after an outage it saw
IDLE_SETTLE_SECONDS = 60.0  # how often it looks for other processes' recorded debts otherwise
ALERT_SECONDS = 600.0  # how long after this process last saw the cache fail it keeps looking every SETTLE_SECONDS

T = TypeVar("T")
_in_guarded_call = contextvars.ContextVar("kolshop_in_guarded_cache_call", default=False)


class RedisCache(DjangoRedisCache):
    """django-redis's cache (``CACHE_URL=redis://…``) that absorbs an outage, except inside ``guarded``.

    Unguarded calls share the guarded ones' pause: an absorbed failure opens it, and while it is open they
    answer "nothing" at once instead of each waiting for the socket timeout of a Redis that hangs."""

    @property
    def _ignore_exceptions(self) -> bool:
        return not _in_guarded_call.get()

    @_ignore_exceptions.setter
    def _ignore_exceptions(self, value: bool) -> None:
        pass  # django-redis sets IGNORE_EXCEPTIONS here; the property above decides per call

    @property
    def client(self):
        """django-redis's client behind one ``_PausingClient``, made once per client (a hot path: a cached page
        hit makes one or two cache calls)."""
        backend_client = super().client
        pausing = self.__dict__.get("_pausing_client")
        if pausing is None or pausing._client is not backend_client:
            pausing = self.__dict__["_pausing_client"] = _PausingClient(backend_client)
        return pausing


class _PausingClient:
    """django-redis's client, its calls skipped while this process's pause after a failure lasts and a failure
    reported to it (raised as django-redis's own ``ConnectionInterrupted``, which the backend absorbs or re-raises)."""

    def __init__(self, client) -> None:
        self._client = client

    def __getattr__(self, name: str):
        """Only for names not wrapped yet: each method's wrapper is kept on the instance, made once per name."""
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            if _breaker.is_open():
                raise ConnectionInterrupted(connection=None) from redis.ConnectionError("cache down a moment ago")
            try:
                return attribute(*args, **kwargs)
            except ConnectionInterrupted as error:
                _breaker.failed(error.__cause__ or error)
                raise

        setattr(self, name, call)
        return call


class _Breaker:
    """When this process last saw the cache fail: calls in the next ``RETRY_SECONDS`` don't try it."""

    def __init__(self) -> None:
        self.down_until = 0.0
        self.last_failed = None  # time.monotonic() of the latest failure, None: never
        self.reported = False

    def is_open(self) -> bool:
        return time.monotonic() < self.down_until

    def failed(self, error: BaseException) -> None:
        self.last_failed = time.monotonic()
        self.down_until = self.last_failed + RETRY_SECONDS
        if not self.reported:  # one log line per outage, not one per call
            self.reported = True
            logger.warning("cache unreachable: %s", type(error).__name__)

    def worked(self) -> None:
        if self.reported:
            self.reported = False
            logger.warning("cache reachable again")


_breaker = _Breaker()
_shared_caches: dict[str, "SharedCache"] = {}  # by name
_settler_registered = False


def cache_is_down() -> bool:
    """Whether this process saw the cache fail within the last ``RETRY_SECONDS``."""
    return _breaker.is_open()


def forget_outage() -> None:
    """Forget this process's outage: the cache is tried at the next call and nothing is owed (tests)."""
    _breaker.down_until = 0.0
    _breaker.last_failed = None
    _breaker.reported = False
    for shared in _shared_caches.values():
        shared._settled = shared._lost


def guarded(call: Callable[..., T], *args: Any, fallback: T, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, or ``fallback`` when the cache can't be reached (now or a moment ago)."""
    if _breaker.is_open():
        return fallback
    entered = _in_guarded_call.set(True)
    try:
        result = call(*args, **kwargs)
    except OUTAGE_ERRORS as error:
        _breaker.failed(error)
        return fallback
    finally:
        _in_guarded_call.reset(entered)
    _breaker.worked()
    return result


class SharedCache:
    """Django's default cache for one user of it (``name``: what its debts are recorded under), each call guarded;
    ``settle(cache)`` is owed after an invalidating write the server did not take (see the module's docstring)."""

    def __init__(self, *, name: str, settle: Callable[[Any], None] | None = None) -> None:
        self.name = name
        self._settle = settle
        # Writes lost and writes made up for, counted: a write lost while a settle runs stays owed after it.
        self._lost = self._settled = 0
        self._lock = threading.Lock()
        _shared_caches[name] = self

    @property
    def owes_settle(self) -> bool:
        return self._lost > self._settled

    def _ready(self) -> bool:
        """Pay what is owed first; False while that fails (nothing may be read or written meanwhile)."""
        if self.owes_settle:
            self._pay(unless_settled=True)
        return not self.owes_settle

    def _pay(self, *, unless_settled: bool = False) -> bool:
        """Settle now (``unless_settled``: only if this process still owes, another thread may just have paid);
        this process's own debts lost before the settle began are paid by it too (counted in this process: no
        clock is compared)."""
        with self._lock:
            lost = self._lost
            if unless_settled and lost <= self._settled:
                return True
            if guarded(self._settle, default_cache, fallback=False) is False:
                return False
            self._settled = max(self._settled, lost)
        logger.warning("cache settled after an outage: %s", self.name)
        return True

    def _read(self, method: str, *args: Any, fallback: Any) -> Any:
        if not self._ready():
            return fallback
        return guarded(getattr(default_cache, method), *args, fallback=fallback)

    def _write(self, method: str, *args: Any, invalidates: bool, fallback: Any = None, **kwargs: Any) -> Any:
        if self._ready():
            missing = object()
            result = guarded(getattr(default_cache, method), *args, fallback=missing, **kwargs)
            if result is not missing:
                return result
        if invalidates and self._settle is not None:
            self._lost += 1
            _record_owed(self.name)
        return fallback

    def get(self, key: str, default: Any = None) -> Any:
        return self._read("get", key, default, fallback=default)

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        return self._read("get_many", keys, fallback={})

    def token(self, key: str) -> str | None:
        """The random token under ``key``, made when missing (``add``: the first writer wins, every reader then
        gets the winner's); None while the cache can't keep one."""
        found = self.get(key)
        if found is None:
            self.add(key, uuid.uuid4().hex, timeout=None)
            found = self.get(key)
        return found

    # Fills: a lost one is a later miss, nothing owed.
    def add(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> bool:
        return self._write("add", key, value, timeout, invalidates=False, fallback=False)

    def fill(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self._write("set", key, value, timeout, invalidates=False)

    def fill_many(self, mapping: dict[str, Any], timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self._write("set_many", mapping, timeout, invalidates=False)

    # Invalidations: a lost one is owed.
    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self._write("set", key, value, timeout, invalidates=True)

    def set_many(self, mapping: dict[str, Any], timeout: float | None = DEFAULT_TIMEOUT) -> None:
        self._write("set_many", mapping, timeout, invalidates=True)

    def delete(self, key: str) -> None:
        self._write("delete", key, invalidates=True)

    def delete_many(self, keys: list[str]) -> None:
        self._write("delete_many", keys, invalidates=True)


def now_and_at_commit(invalidate: Callable[[], None]) -> None:
    """Run ``invalidate`` now and again once the transaction commits: a reader between the two reads the rows as
    they were and may store what they show again."""
    invalidate()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(invalidate)


def _record_owed(name: str) -> None:
    """Record in the database that ``name``'s settle is owed, in the current transaction when there is one (the
    debt commits with the change, or neither does); a database that refuses leaves it owed by this process only.

    A plain INSERT of a row of its own: no conflict target, no row another writer's open transaction could hold,
    so during an outage writers losing the same cache's invalidations never wait for each other."""
    from operations.models import OwedCacheSettle

    alias = router.db_for_write(OwedCacheSettle)
    try:
        with transaction.atomic(using=alias):  # a savepoint inside the change's transaction: a refusal spoils nothing
            OwedCacheSettle.objects.using(alias).create(cache=name, lost_at=timezone.now())
    except (DatabaseError, SynchronousOnlyOperation):
        logger.warning("an owed cache settle could not be recorded (%s): only this process owes it", name)


def pay_recorded_settles() -> int:
    """Pay the settles recorded in the database (by any process, dead or alive) once the cache answers; the number
    of rows this pass left recorded (-1: it could not look).

    In one short transaction: the rows are claimed (``FOR UPDATE SKIP LOCKED``: rows another settler claimed are
    skipped, so each is paid once, not by every process), each cache named is settled once (after the rows were
    read, so the settle pays every loss they record), and the rows of the caches settled are deleted; the rows of a
    cache whose settle failed stay owed for the next pass. A row still uncommitted (its change's transaction open)
    is not seen: a later pass pays it."""
    from operations.models import OwedCacheSettle

    if _breaker.is_open():
        return -1
    alias = router.db_for_write(OwedCacheSettle)
    if not OwedCacheSettle.objects.using(alias).exists():
        return 0  # the usual look: no transaction, no lock (SQLite's IMMEDIATE transactions would wait for writers)
    with transaction.atomic(using=alias):
        owed = OwedCacheSettle.objects.using(alias).select_for_update(skip_locked=True)
        claimed: dict[str, list[int]] = {}
        for row_id, name in owed.order_by("pk").values_list("pk", "cache"):
            claimed.setdefault(name, []).append(row_id)
        paid, left = [], 0
        for name, row_ids in claimed.items():
            shared = _shared_caches.get(name)
            if shared is None or shared._settle is None or not shared._pay():
                left += len(row_ids)  # another release's cache, or the cache still down: the next pass
            else:
                paid.extend(row_ids)
        if paid:
            OwedCacheSettle.objects.using(alias).filter(pk__in=paid).delete()
    return left


def settle_owed() -> int:
    """Pay the settles recorded in the database, then every settle this process still owes (each ``SharedCache``
    that lost a write and had no recorded row paid just now); the number this process still owes."""
    try:
        pay_recorded_settles()
    finally:  # the database down too: this process's own debts are paid all the same
        owed = _pay_own()
    return owed


def _pay_own() -> int:
    return sum(not shared._ready() for shared in _shared_caches.values() if shared.owes_settle)


def start_settler() -> threading.Event:
    """Pay owed settles in a daemon thread of this process, traffic or not (one per process; a forked child starts its
    own, ``operations.process_loops``), and once more at a clean exit. Returns the event that stops it."""
    global _settler_registered
    if not _settler_registered:
        _settler_registered = True
        atexit.register(_settle_at_exit)
    _settler_looked_at[0] = None
    return start_process_loop("cache-settler", _settle_in_thread, every=lambda: SETTLE_SECONDS,
                              at_end=_close_settler_connection)


_settler_looked_at: list[float | None] = [None]  # time.monotonic() of the settler's latest look at the database


def settler_is_alert() -> bool:
    """Whether the settler looks at the database every ``SETTLE_SECONDS``: this process owes, or saw the cache fail
    within ``ALERT_SECONDS``."""
    failed = _breaker.last_failed
    owes = any(shared.owes_settle for shared in _shared_caches.values())
    return owes or (failed is not None and time.monotonic() - failed < ALERT_SECONDS)


def _settle_in_thread() -> None:
    """One pass: every ``SETTLE_SECONDS`` when alert, else a look every ``IDLE_SETTLE_SECONDS`` (passes between
    cost nothing). The thread's connection is kept between looks and closed when one fails (it may be broken)."""
    looked_at, now = _settler_looked_at[0], time.monotonic()
    if not settler_is_alert() and looked_at is not None and now - looked_at < IDLE_SETTLE_SECONDS:
        return
    _settler_looked_at[0] = now
    try:
        settle_owed()
    except DatabaseError:
        _close_settler_connection()
        raise  # logged by the loop; the next pass connects again


def _close_settler_connection() -> None:
    connections.close_all()  # this thread's own


def _settle_at_exit() -> None:
    """This process's own debts only: the database's rows are every live process's settler's (and the database may
    be gone by now)."""
    try:
        _pay_own()
    except Exception:  # noqa: BLE001  (exiting anyway: the entries' own expiry is left)
        logger.warning("paying owed cache settles at exit failed", exc_info=True)
