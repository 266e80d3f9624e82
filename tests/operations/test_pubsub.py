"""operations.pubsub: a message published in one process reaches subscribers in another (Redis), and
in this process when no Redis is configured (the demo, tests)."""

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis

from operations import pubsub
from tests.support.event_loop import run_coroutine

ROOT = Path(__file__).resolve().parents[2]


async def _next(iterator, *, seconds: float = 5):
    return await asyncio.wait_for(anext(iterator), timeout=seconds)


def test_without_redis_a_publish_from_another_thread_reaches_each_subscriber_in_this_process(settings):
    settings.REDIS_URL = ""

    async def scenario():
        first, second = pubsub.subscribe("show:7"), pubsub.subscribe("show:7")
        other = pubsub.subscribe("show:8")
        waiting = [asyncio.ensure_future(_next(it)) for it in (first, second)]
        stray = asyncio.ensure_future(_next(other, seconds=0.3))
        while pubsub._local_broker.subscriber_count("show:7") < 2:
            await asyncio.sleep(0.01)
        thread = threading.Thread(target=pubsub.publish, args=("show:7", {"offer": "MP-1", "price": "19.00"}))
        thread.start()
        received = await asyncio.gather(*waiting)
        thread.join()
        stray_result = await asyncio.gather(stray, return_exceptions=True)
        for iterator in (first, second, other):
            await iterator.aclose()
        return received, stray_result

    received, stray_result = run_coroutine(scenario)

    assert received == [{"offer": "MP-1", "price": "19.00"}] * 2
    assert isinstance(stray_result[0], TimeoutError)  # another channel hears nothing
    assert pubsub._local_broker.subscriber_count("show:7") == 0  # closed subscribers are gone


def _publish_in_another_process(redis_url: str, channel: str, payload: str) -> None:
    code = ("import json, sys, django; django.setup(); from operations.pubsub import publish; "
            "publish(sys.argv[1], json.loads(sys.argv[2]))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "REDIS_URL": redis_url}
    subprocess.run([sys.executable, "-c", code, channel, payload], cwd=ROOT, env=env, check=True, timeout=60)


def test_with_redis_a_message_published_in_another_process_reaches_a_subscriber_here(settings, redis_url):
    settings.REDIS_URL = redis_url
    probe = redis.Redis.from_url(redis_url)

    async def scenario():
        subscriber = pubsub.subscribe("show:42")
        pending = asyncio.ensure_future(_next(subscriber, seconds=60))
        while probe.pubsub_numsub("kolshop:show:42")[0][1] < 1:
            await asyncio.sleep(0.02)
        await asyncio.to_thread(_publish_in_another_process, redis_url, "show:42",
                                '{"event": "price", "sku": "MP-1", "price": "15.00"}')
        message = await pending
        await subscriber.aclose()
        return message

    message = run_coroutine(scenario)

    assert message == {"event": "price", "sku": "MP-1", "price": "15.00"}
    assert probe.pubsub_numsub("kolshop:show:42")[0][1] == 0  # closing the iterator unsubscribes


def test_with_redis_publish_here_reaches_a_subscriber_in_another_process(settings, redis_url, tmp_path):
    settings.REDIS_URL = redis_url
    probe = redis.Redis.from_url(redis_url)
    code = ("import asyncio, json, sys, django; django.setup(); from operations.pubsub import subscribe\n"
            "async def main():\n"
            "    async for message in subscribe('show:99'):\n"
            "        print(json.dumps(message, sort_keys=True), flush=True); return\n"
            "asyncio.run(main())")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "REDIS_URL": redis_url}
    listener = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            if probe.pubsub_numsub("kolshop:show:99")[0][1] == 1:
                break
            time.sleep(0.05)
        pubsub.publish("show:99", {"viewers": 3, "live": True})
        output, _ = listener.communicate(timeout=30)
    finally:
        listener.kill()

    assert output.strip() == '{"live": true, "viewers": 3}'


def _subscribed_connections(probe: redis.Redis) -> int:
    return sum(1 for client in probe.client_list() if int(client["sub"]) or int(client["psub"]))


def test_with_redis_every_subscriber_in_a_process_shares_one_connection(settings, redis_url):
    settings.REDIS_URL = redis_url
    probe = redis.Redis.from_url(redis_url)

    async def scenario():
        viewers = {"show:5": [pubsub.subscribe("show:5") for _ in range(40)],
                   "show:6": [pubsub.subscribe("show:6") for _ in range(10)]}
        waiting = {channel: [asyncio.ensure_future(_next(viewer)) for viewer in group]
                   for channel, group in viewers.items()}
        shared = pubsub._SharedSubscriber._by_loop.get(asyncio.get_running_loop())
        while shared is None or (shared.subscriber_count("show:5"), shared.subscriber_count("show:6")) != (40, 10):
            await asyncio.sleep(0.01)
            shared = pubsub._SharedSubscriber._by_loop.get(asyncio.get_running_loop())
        while_listening = (_subscribed_connections(probe), pubsub._SharedSubscriber.connection_count())
        await asyncio.to_thread(pubsub.publish, "show:5", {"pinned": "MP-1"})
        await asyncio.to_thread(pubsub.publish, "show:6", {"pinned": "MP-2"})
        received = {channel: await asyncio.gather(*tasks) for channel, tasks in waiting.items()}
        for group in viewers.values():
            for viewer in group:
                await viewer.aclose()
        return while_listening, received

    while_listening, received = run_coroutine(scenario)
    for _ in range(100):  # the server notices the closed connection a moment later
        if _subscribed_connections(probe) == 0:
            break
        time.sleep(0.02)

    assert while_listening == (1, 1)
    assert received == {"show:5": [{"pinned": "MP-1"}] * 40, "show:6": [{"pinned": "MP-2"}] * 10}
    assert probe.pubsub_numsub("kolshop:show:5", "kolshop:show:6") == [(b"kolshop:show:5", 0), (b"kolshop:show:6", 0)]
    assert (_subscribed_connections(probe), pubsub._SharedSubscriber.connection_count()) == (0, 0)


def test_with_redis_unreachable_a_subscriber_fails_and_leaves_no_connection_behind(settings):
    from tests.support.servers import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    async def scenario():
        subscriber = pubsub.subscribe("show:9")
        try:
            await _next(subscriber)
        except redis.ConnectionError as error:
            return type(error).__name__, pubsub._SharedSubscriber.connection_count()
        return "subscribed", pubsub._SharedSubscriber.connection_count()

    assert run_coroutine(scenario) == ("ConnectionError", 0)
