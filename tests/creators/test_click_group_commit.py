"""Group commit behind ``/r/``: a follow is redirected only once its click is in the Redis queue, so an app
process killed with SIGKILL under load loses no click whose redirect a reader received; concurrent
follows share the queue's round trips."""

import http.client
import os
import signal
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from creators.models import Click, LinkTarget
from creators.services import click_drain, click_queue
from creators.services.links import create_tracked_link
from shop.attribution import read_attribution
from tests.creators.follow_counting import DJANGO_FOLLOWS_KEY
from tests.creators.test_click_buffer import PHONE, _start_web
from tests.support.servers import database_url
from tests.factories import make_creator


def worker_pids(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


def storefront_click_id(location: str) -> int | None:
    return read_attribution(parse_qs(urlsplit(location).query)["ref"][0], sku=None).click_id


@pytest.mark.django_db(transaction=True)
def test_an_app_process_killed_under_load_loses_no_click_it_redirected(wagtail_base_data, queue, redis_url,
                                                                       tmp_path):
    anna = make_creator("anna")
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.creators.follow_counting", "DATABASE_URL": database_url(),
           "REDIS_URL": redis_url, "KOLSHOP_RATE_LIMIT_CLICKS": "off",
           "KOLSHOP_CLICK_FLUSH_MS": "600000"}  # no timer: only group commit sends clicks
    web, port = _start_web(env, tmp_path / "web.log")  # settings.asgi: follows answered by the fast path
    redirected: list[int] = []  # every click id a reader received in a redirect
    answered = threading.Event()

    def reader(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for n in range(2_000):  # the kill comes long before
            try:
                conn.request("GET", "/r/anna-shop/", headers={"Host": "localhost",
                                                                "User-Agent": f"{PHONE} reader-{index}-{n}"})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                return  # the process is gone
            assert response.status == 302
            redirected.append(storefront_click_id(response.getheader("Location")))
            if len(redirected) >= 150:
                answered.set()

    readers = [threading.Thread(target=reader, args=(index,)) for index in range(6)]
    try:
        for thread in readers:
            thread.start()
        assert answered.wait(timeout=120)
        for pid in worker_pids(web.pid):  # the worker holds the buffer; gunicorn would start another
            os.kill(pid, signal.SIGKILL)  # mid-load: requests in flight, clicks being sent
        web.send_signal(signal.SIGKILL)
        web.wait(timeout=30)
    finally:
        if web.poll() is None:
            web.kill()
        for thread in readers:
            thread.join(timeout=60)

    assert web.returncode == -signal.SIGKILL
    duplicates = {click_id for click_id in redirected if redirected.count(click_id) > 1}
    assert len(redirected) >= 150 and None not in redirected and duplicates == set()
    # Django answered only the first follows, before the link's route was cached (one per reader at most).
    assert int(queue.get(DJANGO_FOLLOWS_KEY) or 0) <= len(readers)
    click_drain.drain_all_clicks()
    written = set(Click.objects.values_list("pk", flat=True))
    assert set(redirected) - written == set()  # every redirected click is in (a follow cut off may be too)


@pytest.mark.django_db
def test_concurrent_follows_share_the_queues_round_trips(site_tree, queue, settings, monkeypatch):
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "click": "off"}
    create_tracked_link(make_creator("anna"), target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    Client().get("/r/anna-shop/", headers={"User-Agent": PHONE})  # warm-up: route cached, ids reserved
    batches: list[int] = []  # clicks per round trip to Redis
    count_clicks = click_queue.count_clicks

    def counting(clicks):
        batches.append(len(clicks))
        return count_clicks(clicks)

    monkeypatch.setattr(click_queue, "count_clicks", counting)
    start = threading.Barrier(8)
    locations: list[str] = []

    def reader(index: int) -> None:
        client = Client()
        start.wait()
        for n in range(10):
            locations.append(client.get("/r/anna-shop/", headers={"User-Agent": f"{PHONE} {index}-{n}"})["Location"])

    readers = [threading.Thread(target=reader, args=(index,)) for index in range(8)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join()

    click_ids = {storefront_click_id(location) for location in locations}
    assert len(click_ids) == 80 and None not in click_ids
    assert queue.hlen(click_queue.PENDING) == 81  # each click in Redis before its redirect was sent
    assert sum(batches) == 80 and len(batches) < 80  # some round trips carried several follows' clicks
