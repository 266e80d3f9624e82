"""Clicks through the Redis click queue: ``/r/<code>/`` touches no database, a drainer writes the
clicks in batches, a drainer killed mid-batch loses none and counts none twice, and an order placed
before its click was drained is still attributed to that click."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import redis.asyncio

from creators.models import Click, LinkTarget, OrderLineAttribution
from creators.services import click_buffer, click_drain, click_ids
from creators.services.links import create_tracked_link, record_click
from operations.shared_redis import loop_redis_client
from shop.attribution import read_attribution
from tests.creators.helpers import ADDRESS
from tests.factories import make_creator, make_guide, make_product
from tests.support.servers import database_url

ROOT = Path(__file__).resolve().parents[2]
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def follow(client, code: str, ip: str):
    return client.get(f"/r/{code}/", headers={"User-Agent": PHONE}, REMOTE_ADDR=ip)


def click_id_in(response, sku: str) -> int:
    return read_attribution(parse_qs(urlsplit(response["Location"]).query)["ref"][0], sku=sku).click_id


@pytest.mark.django_db
def test_a_follow_touches_no_database_and_the_drainer_writes_each_visit_once(site_tree, client, queue,
                                                                            django_assert_num_queries):
    anna = make_creator("anna")
    guide = make_guide(anna)
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    link = create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=product, page=guide, block_id="b-1",
                               code="mug-anna")
    follow(client, "mug-anna", "203.0.113.1")  # warm-up: the route is cached, click ids reserved
    click_buffer.flush_clicks()
    assert click_drain.drain_all_clicks() == 1

    with django_assert_num_queries(0):
        first = follow(client, "mug-anna", "203.0.113.2")
    with django_assert_num_queries(0):
        repeat = follow(client, "mug-anna", "203.0.113.2")  # the same visit within the hour
    click_id = click_id_in(first, "MUG-1")
    click_buffer.flush_clicks()  # what the buffer's thread does within KOLSHOP_CLICK_FLUSH_MS

    assert (first.status_code, urlsplit(first["Location"]).path) == (302, "/buy/MUG-1/")
    assert click_id_in(repeat, "MUG-1") == click_id
    assert not Click.objects.filter(pk=click_id).exists()
    assert click_drain.queued_click_count() == 1
    assert click_drain.drain_all_clicks() == 1
    assert click_drain.drain_all_clicks() == 0
    click = Click.objects.get(pk=click_id)
    assert (click.link_id, click.creator_id, click.page_id, click.block_id, click.product_id, click.ua_class) == (
        link.pk, anna.pk, guide.pk, "b-1", product.pk, "mobile")
    assert Click.objects.count() == 2 and click_drain.queued_click_count() == 0


@pytest.mark.django_db
def test_an_order_placed_before_the_drain_is_attributed_to_its_queued_click(site_tree, client, queue, shop_settings):
    anna = make_creator("anna")
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=product, code="mug-anna")

    followed = follow(client, "mug-anna", "203.0.113.9")
    client.get(followed["Location"], headers={"User-Agent": PHONE}, REMOTE_ADDR="203.0.113.9")
    client.post("/checkout/", {"email": "ada@example.com", "fulfilment": "shipping", **ADDRESS})

    click_id = click_id_in(followed, "MUG-1")
    decision = OrderLineAttribution.objects.get()
    assert (decision.creator_id, decision.click_id, decision.source) == (anna.pk, click_id, "click")
    assert decision.attributed_at == Click.objects.get(pk=click_id).clicked_at
    assert click_drain.drain_all_clicks() == 1  # the drainer finds it written and skips it
    assert list(Click.objects.values_list("pk", flat=True)) == [click_id]


@pytest.mark.django_db
def test_while_redis_is_unreachable_a_follow_writes_its_click_inline(site_tree, client, settings, monkeypatch):
    from tests.support.servers import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    monkeypatch.setattr(click_ids, "_id_block", click_ids._IdBlock())
    anna = make_creator("anna")
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")

    response = follow(client, "anna-shop", "203.0.113.4")
    click_buffer.flush_clicks()  # a flush that can't reach Redis writes the buffered clicks inline

    click = Click.objects.get()
    assert response.status_code == 302
    assert read_attribution(parse_qs(urlsplit(response["Location"]).query)["ref"][0], sku=None).click_id == click.pk


_DRAINER = """
import sys, time, django
django.setup()
from creators.services import click_buffer, click_drain

def stopped(*args, **kwargs):
    print("stopped", flush=True)
    time.sleep(600)

# after-reading: the batch is read, nothing written; after-writing: written, not acknowledged.
setattr(click_drain, "_write_batch" if sys.argv[1] == "after-reading" else "_acknowledge", stopped)
click_drain.drain_clicks(consumer="drainer-1", batch_size=100)
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("killed", ["after-reading", "after-writing"])
def test_a_drainer_killed_mid_batch_loses_no_click_and_counts_none_twice(wagtail_base_data, queue, redis_url,
                                                                         killed):
    anna = make_creator("anna")
    link = create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    reserved = {record_click(link, ip=f"198.51.100.{n}", user_agent=PHONE).pk for n in range(1, 41)}
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url(),
           "REDIS_URL": redis_url}

    drainer = subprocess.Popen([sys.executable, "-c", _DRAINER, killed], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               text=True)
    try:
        assert drainer.stdout.readline().strip() == "stopped"
    finally:
        drainer.send_signal(signal.SIGKILL)
        drainer.wait(timeout=30)
    written_before_restart = Click.objects.count()
    pending = queue.xpending("kolshop:clicks", "click-writers")["pending"]
    restarted = click_drain.drain_all_clicks(consumer="drainer-2", reclaim_idle_ms=0)

    assert drainer.returncode == -signal.SIGKILL
    assert (written_before_restart, pending) == ((0 if killed == "after-reading" else 40), 40)
    assert restarted == 40
    assert set(Click.objects.values_list("pk", flat=True)) == reserved and Click.objects.count() == 40
    assert queue.xpending("kolshop:clicks", "click-writers")["pending"] == 0
    assert click_drain.queued_click_count() == 0


def test_a_worker_forked_while_a_thread_reserves_ids_neither_waits_for_the_lock_nor_reuses_the_parents_ids():
    block = click_ids._id_block
    block._ids = [501, 502]  # the parent's block
    assert block._lock.acquire()  # a parent's thread mid round trip at the fork
    try:
        pid = os.fork()
        if pid == 0:  # the child: a new worker
            try:
                os._exit(0 if block._lock.acquire(blocking=False) and not block._ids else 3)
            except BaseException:
                os._exit(4)
        _, status = os.waitpid(pid, 0)
    finally:
        block._lock.release()
        block._ids = deque()
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.usefixtures("no_running_loop")
def test_each_event_loop_keeps_its_own_redis_client_and_a_replaced_one_is_closed(redis_url, settings, monkeypatch):
    settings.REDIS_URL = redis_url
    closed, real_aclose = [], redis.asyncio.Redis.aclose

    async def aclose(client, *args, **kwargs):
        closed.append(client)
        return await real_aclose(client, *args, **kwargs)

    monkeypatch.setattr(redis.asyncio.Redis, "aclose", aclose)

    async def client_pinged():
        client = loop_redis_client()
        await client.ping()
        return client

    serving = asyncio.new_event_loop()  # a loop serving in a thread of its own, as another in this one
    thread = threading.Thread(target=serving.run_forever, daemon=True)
    thread.start()
    try:
        on_thread = [asyncio.run_coroutine_threadsafe(client_pinged(), serving).result(5)]
        here = asyncio.run(client_pinged())
        on_thread.append(asyncio.run_coroutine_threadsafe(client_pinged(), serving).result(5))
        settings.REDIS_URL = redis_url + "?db=1"  # the URL changed: the thread's loop gets a new client
        on_thread.append(asyncio.run_coroutine_threadsafe(client_pinged(), serving).result(5))
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0.1), serving).result(5)  # the old one's close runs
    finally:
        serving.call_soon_threadsafe(serving.stop)
        thread.join(5)
        serving.close()

    assert on_thread[0] is on_thread[1] and here is not on_thread[0] and on_thread[2] is not on_thread[0]
    assert closed == [on_thread[0]]


@pytest.mark.usefixtures("no_running_loop")
def test_the_loops_redis_client_gives_up_on_a_failing_redis_at_once(settings):
    listening = socket.create_server(("127.0.0.1", 0))  # a Redis that drops each connection once asked
    accepted = []

    def drop_each():
        while True:
            try:
                connection, _address = listening.accept()
            except OSError:
                return
            accepted.append(connection)
            connection.recv(1024)
            connection.close()

    threading.Thread(target=drop_each, daemon=True).start()
    settings.REDIS_URL = f"redis://127.0.0.1:{listening.getsockname()[1]}/0"

    async def ping_timed():
        started = time.monotonic()
        with pytest.raises(redis.ConnectionError):
            await loop_redis_client().ping()  # as count_clicks_on_loop's pipeline
        return time.monotonic() - started

    try:
        took = asyncio.run(ping_timed())
    finally:
        listening.close()

    assert (len(accepted), took < 1) == (1, True)  # not redis-py's client default: 10 retries with backoff
