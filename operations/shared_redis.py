"""The one Redis client per process for pub/sub and queues (``settings.REDIS_URL``); the cache has
its own (django-redis). None when no Redis is configured: callers fall back to in-process work."""

import asyncio
import weakref
from collections.abc import Awaitable
from functools import lru_cache
from typing import TypeVar

import redis
import redis.asyncio
from django.conf import settings
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

T = TypeVar("T")
# Both clients': how long a connection may take to open, and a reply to come.
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5


def redis_client() -> redis.Redis | None:
    url = settings.REDIS_URL
    return _client_for(url) if url else None


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    """One connection pool per URL (redis-py opens a fresh pool in a forked child)."""
    return redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=READ_TIMEOUT_SECONDS)


# event loop -> (URL, its client): a client's connections belong to one loop, so each loop (a process may serve
# from loops in several threads) has its own, dropped with its loop
_loop_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[str, redis.asyncio.Redis]]" = (
    weakref.WeakKeyDictionary())
_closing: set[asyncio.Task] = set()  # replaced clients being closed (a task nobody references may be collected)


def loop_redis_client() -> redis.asyncio.Redis | None:
    """A redis.asyncio client for the running event loop (its connections belong to that loop), with the same
    connect timeout as ``redis_client``; a new loop or URL gets a new one (a client replaced on its loop is closed; a
    closed loop's is dropped). None when no Redis is configured.

    Its calls have no socket timeout of their own: the caller bounds each by ``READ_TIMEOUT_SECONDS`` with one timer
    (``bounded``). redis-py's own would cost a task per command sent (``asyncio.wait_for``) and a timer per reply,
    on every batch of the loop's clicks; a call cut short disconnects its connection as a timed-out one does."""
    url = settings.REDIS_URL
    if not url:
        return None
    loop = asyncio.get_running_loop()
    made = _loop_clients.get(loop)
    if made is not None and made[0] == url:
        return made[1]
    for closed in [other for other in list(_loop_clients.keys()) if other.is_closed()]:  # their connections
        _loop_clients.pop(closed, None)  # hold the loop: no weak reference alone lets it go
    # no retry (what ``from_url`` gives today, said once here should redis-py's default change to its client's, 10
    # with backoff): the follows awaiting this send fall back (the outage path) within the sync client's timeouts
    client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=None,
                                          retry=Retry(NoBackoff(), 0))
    _loop_clients[loop] = (url, client)
    if made is not None:
        closing = loop.create_task(made[1].aclose())
        _closing.add(closing)
        closing.add_done_callback(_closing.discard)
    return client


async def bounded(call: Awaitable[T]) -> T:
    """``call`` (a ``loop_redis_client`` call) given ``READ_TIMEOUT_SECONDS``, then ``redis.TimeoutError``, as the
    sync client's socket timeout raises."""
    try:
        async with asyncio.timeout(READ_TIMEOUT_SECONDS):
            return await call
    except TimeoutError as error:
        raise redis.TimeoutError(f"no answer from Redis within {READ_TIMEOUT_SECONDS} s") from error
