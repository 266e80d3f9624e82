"""Publish/subscribe between app processes: a message published by any process (a web worker, the task
worker, the scheduler) reaches every subscriber in every process, e.g. the viewers of a live show
streamed over server-sent events.

With ``settings.REDIS_URL`` set, Redis pub/sub carries the messages (fire and forget: a subscriber
sees what is published while it listens, nothing earlier; durable work goes through a queue, not
here). Without it, an in-process broker delivers to subscribers in this process only: enough for the
demo and for tests, which run one process.

Payloads are JSON objects; channel names are namespaced under ``kolshop:`` in Redis.
"""

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator

import redis
import redis.asyncio
from django.conf import settings

from operations.shared_redis import redis_client

CHANNEL_PREFIX = "kolshop:"

logger = logging.getLogger(__name__)


def publish(channel: str, payload: dict) -> None:
    """Send ``payload`` to every current subscriber of ``channel`` (in any process with Redis)."""
    message = json.dumps(payload, separators=(",", ":"), default=str)
    client = redis_client()
    if client is not None:
        try:
            client.publish(CHANNEL_PREFIX + channel, message)
        except redis.RedisError as error:
            # A notice, not a record: what changed is committed, and subscribers also poll. Never
            # fail the request (or the on_commit hook) that made the change because Redis blinked.
            logger.warning("pubsub publish failed", extra={"channel": channel, "error": type(error).__name__})
    else:
        _local_broker.publish(channel, message)


async def subscribe(channel: str) -> AsyncIterator[dict]:
    """Yield each payload published on ``channel`` from now on, until the consumer stops iterating.

    Each subscriber holds its own Redis connection while it listens, closed when the iterator is
    closed (``aclose()``, or the ``async for`` ending / the client disconnecting).
    """
    url = settings.REDIS_URL
    if not url:
        async for message in _local_broker.listen(channel):
            yield json.loads(message)
        return
    client = redis.asyncio.Redis.from_url(url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(CHANNEL_PREFIX + channel)
        async for message in pubsub.listen():
            if message and message.get("type") == "message":
                yield json.loads(message["data"])
    finally:
        await pubsub.aclose()
        await client.aclose()


class _LocalBroker:
    """Fan-out to subscribers in this process; publishers may be in any thread (a sync view under
    ASGI runs in a worker thread), each subscriber's queue lives on its own event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}

    def publish(self, channel: str, message: str) -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(channel, ()))
        for loop, queue in subscribers:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, message)
            except RuntimeError:  # that subscriber's loop has closed
                self._remove(channel, (loop, queue))

    async def listen(self, channel: str) -> AsyncIterator[str]:
        entry = (asyncio.get_running_loop(), asyncio.Queue())
        with self._lock:
            self._subscribers.setdefault(channel, set()).add(entry)
        try:
            while True:
                yield await entry[1].get()
        finally:
            self._remove(channel, entry)

    def subscriber_count(self, channel: str) -> int:
        with self._lock:
            return len(self._subscribers.get(channel, ()))

    def _remove(self, channel: str, entry: tuple) -> None:
        with self._lock:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(entry)
                if not subscribers:
                    del self._subscribers[channel]


_local_broker = _LocalBroker()
