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

    With Redis, every subscriber of this process (on one event loop: an ASGI worker's) shares one
    Redis connection (``_SharedSubscriber``): thousands of viewers of a live show cost one
    connection per app process, not one each. Closing the iterator (``aclose()``, the ``async for``
    ending, the client disconnecting) unsubscribes the channel once its last local subscriber left.
    """
    url = settings.REDIS_URL
    if not url:
        async for message in _local_broker.listen(channel):
            yield json.loads(message)
        return
    shared = _SharedSubscriber.for_running_loop(url)
    queue = await shared.add(CHANNEL_PREFIX + channel)
    try:
        while True:
            yield json.loads(await queue.get())
    finally:
        await shared.remove(CHANNEL_PREFIX + channel, queue)


class _SharedSubscriber:
    """One Redis pub/sub connection for every subscriber on one event loop: a reader task hands each
    message to the queues of that channel's local subscribers. The connection opens with the first
    subscriber and closes when the last one leaves (a fresh loop, e.g. a test's, starts again)."""

    _by_loop: dict[asyncio.AbstractEventLoop, "_SharedSubscriber"] = {}

    def __init__(self, url: str) -> None:
        self._client = redis.asyncio.Redis.from_url(url)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._queues: dict[str, set[asyncio.Queue]] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None

    @classmethod
    def for_running_loop(cls, url: str) -> "_SharedSubscriber":
        loop = asyncio.get_running_loop()
        shared = cls._by_loop.get(loop)
        if shared is None:
            shared = cls._by_loop[loop] = cls(url)
        return shared

    @classmethod
    def connection_count(cls) -> int:
        """How many Redis pub/sub connections this process holds (one per loop with subscribers)."""
        return len(cls._by_loop)

    def subscriber_count(self, channel: str) -> int:
        return len(self._queues.get(CHANNEL_PREFIX + channel, ()))

    async def add(self, channel: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        async with self._lock:
            listeners = self._queues.setdefault(channel, set())
            listeners.add(queue)
            if len(listeners) == 1:
                try:
                    await self._pubsub.subscribe(channel)
                except BaseException:  # Redis unreachable, or the subscriber cancelled: leave no trace
                    self._queues.pop(channel, None)
                    if not self._queues and self._reader is None:
                        self._by_loop.pop(asyncio.get_running_loop(), None)
                        await self._client.aclose()
                    raise
            if self._reader is None:
                self._reader = asyncio.get_running_loop().create_task(self._read())
        return queue

    async def remove(self, channel: str, queue: asyncio.Queue) -> None:
        async with self._lock:
            listeners = self._queues.get(channel, set())
            listeners.discard(queue)
            if listeners:
                return
            self._queues.pop(channel, None)
            await self._pubsub.unsubscribe(channel)
            if not self._queues:  # the last subscriber left: close the connection
                self._by_loop.pop(asyncio.get_running_loop(), None)
                if self._reader is not None:
                    self._reader.cancel()
                    await asyncio.gather(self._reader, return_exceptions=True)
                    self._reader = None  # a subscriber that waited on the lock meanwhile starts it again
                await self._pubsub.aclose()
                await self._client.aclose()

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except redis.RedisError as error:  # subscribers also poll; wait and read again
                logger.warning("pubsub read failed", extra={"error": type(error).__name__})
                await asyncio.sleep(1.0)
                continue
            if message and message.get("type") == "message":
                channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
                for queue in tuple(self._queues.get(channel, ())):
                    queue.put_nowait(message["data"])


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
