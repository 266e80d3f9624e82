"""Publish/subscribe between app processes: ``publish(channel, payload)`` and ``async subscribe(channel)``.

With Redis configured (``REDIS_URL``, else a ``redis://`` ``CACHE_URL``) messages go through Redis
pub/sub, so a subscriber in any process (an SSE stream on an ASGI worker) hears a publish from any
other (a WSGI request, a task). Without Redis, an in-process broker: one process only (dev, tests).

Messages are notifications, not a queue: a subscriber hears what is published while it listens;
whoever needs the state reads it (``Last-Event-ID`` resume compares versions, not messages).

This is a minimal version written on the ``live`` branch; the ``scale`` branch owns this module and
its version replaces this one at merge (same API).
"""

import asyncio
import json
import logging
import os
import threading
from collections.abc import AsyncIterator

from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}
_redis_client = None


def redis_url() -> str:
    """The Redis behind pub/sub, or "" for the in-process broker."""
    url = getattr(settings, "REDIS_URL", "") or os.environ.get("REDIS_URL", "")
    if not url:
        cache_url = os.environ.get("CACHE_URL", "")
        location = settings.CACHES.get("default", {}).get("LOCATION", "")
        for candidate in (cache_url, location if isinstance(location, str) else ""):
            if candidate.startswith(("redis://", "rediss://", "unix://")):
                url = candidate
                break
    return url


def _sync_redis():
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(redis_url(), socket_connect_timeout=2, socket_timeout=2)
    return _redis_client


def publish(channel: str, payload: dict) -> None:
    """Tell every subscriber of ``channel`` (in every process when Redis is configured). Never raises:
    a lost notification only delays readers until their next poll."""
    if redis_url():
        try:
            _sync_redis().publish(channel, json.dumps(payload))
        except Exception as error:  # noqa: BLE001 - readers fall back to polling
            logger.warning("Publishing to %s failed: %s", channel, error)
        return
    with _lock:
        listeners = list(_subscribers.get(channel, ()))
    for loop, queue in listeners:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, dict(payload))
        except RuntimeError:  # the subscriber's loop has closed
            continue


async def _subscribe_in_process(channel: str) -> AsyncIterator[dict]:
    entry = (asyncio.get_running_loop(), asyncio.Queue())
    with _lock:
        _subscribers.setdefault(channel, set()).add(entry)
    try:
        while True:
            yield await entry[1].get()
    finally:
        with _lock:
            _subscribers.get(channel, set()).discard(entry)


async def _subscribe_redis(channel: str) -> AsyncIterator[dict]:
    import redis.asyncio as redis_asyncio

    client = redis_asyncio.Redis.from_url(redis_url(), socket_connect_timeout=2)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    try:
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            try:
                yield json.loads(message["data"])
            except (TypeError, ValueError):
                continue
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()
        await client.aclose()


async def subscribe(channel: str) -> AsyncIterator[dict]:
    """Yield each payload published on ``channel`` from now on, until the caller stops iterating."""
    source = _subscribe_redis(channel) if redis_url() else _subscribe_in_process(channel)
    try:
        async for payload in source:
            yield payload
    finally:
        await source.aclose()
