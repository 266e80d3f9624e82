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
  recorded in the database, where any process's settler pays it once the cache answers, and a settle by this
  process pays the recorded rows too (``operations.owed_settles``);
- a counter (a rate limit) decides for itself (``shop.rate_limits``).

After an outage error the cache is not tried again for ``RETRY_SECONDS`` (per process), so a Redis that
hangs costs one socket timeout, not one per call.

What a process owes it pays without waiting for its next use of that cache: see ``operations.owed_settles`` (a
settler thread per process, the database's record, and the bound on how long a stale entry can be served).

Code we can't guard reads the default cache itself: Wagtail's site root paths (every page URL in the content
API) and renditions, django-ratelimit. For that code the backend (``RedisCache`` below, django-redis's) absorbs
the outage as ``IGNORE_EXCEPTIONS`` would: a read finds nothing, a write is skipped. Only calls made through
``guarded`` see the error, so our own token moves are never lost silently. A global ignore alone would make a
failed token move silent, with nothing owed: the stale page JSON would come back with the server.
"""

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
from django.db import transaction
from django_redis.cache import RedisCache as DjangoRedisCache
from django_redis.exceptions import ConnectionInterrupted

from operations import owed_settles

logger = logging.getLogger("kolshop.cache")

# django-redis re-raises the client's own error (redis.ConnectionError, redis.TimeoutError, a refused
# write's ResponseError); memcached clients raise socket errors (OSError).
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
RETRY_SECONDS = 1.0

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


_PROBE_KEY = "kolshop:cache-probe"  # read (never written) before a debt is claimed: does the server answer now?
_UNANSWERED = object()


class SharedCache:
    """Django's default cache for one user of it (``name``: what its debts are recorded under), each call guarded;
    ``settle(cache)`` is owed after an invalidating write the server did not take (see the module's docstring)."""

    def __init__(self, *, name: str, settle: Callable[[Any], None] | None = None,
                 after_settle: Callable[[Any], None] | None = None) -> None:
        self.name = name
        self._settle = settle
        # Run by the settler thread only, after a settle this process made (a keyspace scan: never on a request).
        self.after_settle = after_settle
        self.settles = self.settles_followed_up = 0  # settles this process made, and as many the settler followed up
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
            self._pay()
        return not self.owes_settle

    def _pay(self) -> bool:
        """Settle now if this process owes or the database records a debt of this cache; False when the settle failed.

        The recorded rows are claimed and committed before the settle (no row lock is held while the cache is called)
        and deleted after it: a settle pays every loss recorded before it began, by any process, so the settler does
        not settle again for them. This process's own debts lost before the settle began are paid by it too (counted
        in this process: no clock is compared)."""
        if _breaker.is_open() or guarded(default_cache.get, _PROBE_KEY, fallback=_UNANSWERED) is _UNANSWERED:
            return False  # no claim (a database write) while the cache is down: a retry's probe first
        claim = owed_settles.claim_recorded(self.name)  # committed before the settle, outside the lock
        if not claim.rows and not self.owes_settle:
            return True  # without waiting for another thread's settle (a settler's pass while a request settles)
        with self._lock:
            lost = self._lost
            if lost <= self._settled and not claim.rows:
                return True  # nothing owed here, and another payer has (or had) the rows
            try:
                settled = guarded(self._settle, default_cache, fallback=False) is not False
            except BaseException:
                claim.release()
                raise
            if not settled:
                claim.release()
                return False
            self._settled = max(self._settled, lost)
            self.settles += 1
        claim.paid()
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
            owed_settles.record_owed(self.name)
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
