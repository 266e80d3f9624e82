"""Abuse limits: how often one client may create carts, add to them, check out, follow links and
send page views (``KOLSHOP_RATE_LIMITS``).

Counted with django-ratelimit in the Django cache (Redis in production, so every process shares
the count) per client address from ``client_ip`` (an IPv6 /64 counts as one client).
"""

import re
import threading
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from operations.cache_guard import guarded
from shop.errors import RateLimited
from shop.services.client_identity import client_ip, client_subnet


def _client(group: str, request: HttpRequest) -> str:
    return client_subnet(client_ip(request))


def _rate(group: str, request: HttpRequest) -> str | None:
    rate = settings.KOLSHOP_RATE_LIMITS.get(group.removeprefix("kolshop."))
    return None if not rate or rate == "off" else rate


_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")


def rate_of(scope: str) -> tuple[int, int] | None:
    """``scope``'s limit as (requests, per seconds), None when off: for counters kept elsewhere than the
    Django cache (the buffered click queue counts clicks per client in Redis as it takes them)."""
    rate = settings.KOLSHOP_RATE_LIMITS.get(scope)
    if not rate or rate == "off":
        return None
    count, multiple, unit = _RATE.match(rate).groups()
    return int(count), int(multiple or 1) * _PERIOD_SECONDS[unit]


def count_request(request: HttpRequest, *, scope: str, key: str | None = None) -> int | None:
    """Count one ``scope`` request by this client (or by ``key``, e.g. an e-mail's buyer key, counted
    whoever sends it): None within the limit, else seconds until it may retry."""
    counted_by = _client if key is None else (lambda group, request: key)
    usage = guarded(get_usage, request, group=f"kolshop.{scope}", key=counted_by, rate=_rate, increment=True,
                    fallback=_CACHE_DOWN)
    if usage is _CACHE_DOWN:
        return _count_in_process(scope, counted_by(f"kolshop.{scope}", request))
    if _in_process_counts.active:  # the shared cache counts again: the outage's tables go
        _in_process_counts.forget()
    if usage is None or not usage["should_limit"]:
        return None
    return max(usage["time_left"], 1)


# While the shared cache can't be reached (``operations.cache_guard``) each process counts on its own: the limit
# neither stops every buyer (fail closed) nor goes away (fail open). A client reaching P processes gets at most
# P times the limit per period during an outage, plus what Redis had counted in the period before it (the count
# is not seeded from Redis): the same shape as the click limit's outage bound (``ClickLimitUse``). The stock,
# holds per client (``reservations.check_client_reservation_cap``) and per-buyer limits are in the database and
# hold regardless.
_CACHE_DOWN = object()


class _InProcessCounts:
    """This process's counts for the current period of each scope, kept whole until the period ends: a count a
    client has used more than once is never evicted (a cache's LRU cull would let a flood of new addresses reset
    every other client's count). At most ``MAX_CLIENTS`` clients per scope and period are counted; to count a new
    one beyond that, the oldest client seen only once is forgotten (it gains at most one request). If every
    counted client has been seen more than once, a new client is let through uncounted: an attacker holding that
    many addresses is not held back by per-address limits anyway, and the database's limits (stock holds per
    client, per-buyer limits, reader-code attempts) hold regardless, while a shared overflow count would lock
    every newcomer out. The tables are dropped once the shared cache counts again (``forget``)."""

    MAX_CLIENTS = 20_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # scope -> (period, client -> count, clients seen once in this period, oldest first)
        self._periods: dict[str, tuple[int, dict[str, int], dict[str, None]]] = {}

    def count(self, scope: str, client: str, period: int) -> int:
        """The client's count in ``period`` including this request; 0 when it is let through uncounted."""
        with self._lock:
            current = self._periods.get(scope)
            if current is None or period > current[0]:  # a thread late across the boundary counts in the newer one
                current = self._periods[scope] = (period, {}, {})
            _period, counts, seen_once = current
            used = counts.get(client, 0) + 1
            if used == 1:
                if len(counts) >= self.MAX_CLIENTS:
                    if not seen_once:
                        return 0
                    oldest = next(iter(seen_once))
                    del seen_once[oldest], counts[oldest]
                seen_once[client] = None
            elif used == 2:
                seen_once.pop(client, None)
            counts[client] = used
            return used

    @property
    def active(self) -> bool:
        return bool(self._periods)

    def forget(self) -> None:
        with self._lock:
            self._periods.clear()


_in_process_counts = _InProcessCounts()


def _count_in_process(scope: str, client: str) -> int | None:
    limit = rate_of(scope)
    if limit is None:
        return None
    allowed, seconds = limit
    now = int(time.time())
    used = _in_process_counts.count(scope, client, now // seconds)
    return None if used <= allowed else max(seconds - now % seconds, 1)


def rate_limit(scope: str, *, block: bool = True) -> Callable:
    """Count every call of the view against ``scope``. Over the limit: raise ``shop.errors.RateLimited``
    (each edge answers it: a 429 with ``Retry-After`` on the APIs), or with
    ``block=False`` set ``request.limited`` and let the view decide what not to do."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            retry_after = count_request(request, scope=scope)
            request.limited = retry_after is not None or getattr(request, "limited", False)
            if retry_after is not None and block:
                raise RateLimited("Too many requests; try again shortly.", retry_after=retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
