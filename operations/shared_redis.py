"""The one Redis client per process for pub/sub and queues (``settings.REDIS_URL``); the cache has
its own (django-redis). None when no Redis is configured: callers fall back to in-process work."""

from functools import lru_cache

import redis
from django.conf import settings


def redis_client() -> redis.Redis | None:
    url = settings.REDIS_URL
    return _client_for(url) if url else None


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    """One connection pool per URL (redis-py opens a fresh pool in a forked child)."""
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
