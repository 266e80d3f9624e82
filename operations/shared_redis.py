"""The one Redis client per process for pub/sub and queues (``settings.REDIS_URL``); the cache has
its own (django-redis). None when no Redis is configured: callers fall back to in-process work."""

import asyncio
from functools import lru_cache

import redis
import redis.asyncio
from django.conf import settings


def redis_client() -> redis.Redis | None:
    url = settings.REDIS_URL
    return _client_for(url) if url else None


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    """One connection pool per URL (redis-py opens a fresh pool in a forked child)."""
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


_loop_client: tuple = (None, "", None)  # (event loop, URL, its client): a process serves from one loop


def loop_redis_client() -> redis.asyncio.Redis | None:
    """A redis.asyncio client for the running event loop (its connections belong to that loop), with the same
    timeouts as ``redis_client``; a new loop or URL gets a new one. None when no Redis is configured."""
    global _loop_client
    url = settings.REDIS_URL
    if not url:
        return None
    loop = asyncio.get_running_loop()
    if _loop_client[0] is not loop or _loop_client[1] != url:
        _loop_client = (loop, url, redis.asyncio.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5))
    return _loop_client[2]
