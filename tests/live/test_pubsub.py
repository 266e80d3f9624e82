"""operations.pubsub: in-process without Redis; through Redis (so across processes) when it is configured."""

import asyncio

from asgiref.sync import sync_to_async

from operations import pubsub
from tests.support.event_loop import run_coroutine


async def _first_message(channel: str, publish_payload: dict) -> dict:
    messages = pubsub.subscribe(channel)
    waiting = asyncio.ensure_future(anext(messages))
    await asyncio.sleep(0.3)  # subscribed (Redis needs a round trip)
    await sync_to_async(pubsub.publish, thread_sensitive=False)(channel, publish_payload)
    try:
        return await asyncio.wait_for(waiting, 5)
    finally:
        await messages.aclose()


def test_in_process_subscribers_hear_a_publish_from_another_thread(settings):
    settings.REDIS_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert run_coroutine(lambda: _first_message("live:1", {"version": 7})) == {"version": 7}


def test_through_redis_a_publish_reaches_a_subscriber(settings, redis_url, monkeypatch):
    settings.REDIS_URL = redis_url

    assert run_coroutine(lambda: _first_message("live:2", {"version": 8})) == {"version": 8}
    assert pubsub._local_broker.subscriber_count("live:2") == 0  # nothing went through the in-process broker


def test_publishing_to_an_unreachable_redis_does_not_raise(settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    pubsub.publish("live:3", {"version": 1})
