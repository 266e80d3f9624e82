"""Live shopping: a creator pins a product, readers see it. Two real ASGI app processes (gunicorn with a
uvicorn worker, as the Procfile's ``live`` line) serve the readers: an open SSE stream on the first, woken
through Redis pub/sub, and a polling reader on the second (every 3 s with ``If-None-Match``, as
``content/static/content/live.js`` falls back to). The pin is made here with ``pin_product``, exactly as the
live console does, so it crosses processes. The time measured is from calling ``pin_product`` to the new
version arriving at each client."""

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.client import HTTPConnection

from django.test import override_settings
from django.utils import timezone

from bench.clicks import ROOT, _database_url, _free_port, _wait_for_port, local_redis
from bench.harness import Row
from settings.env import cache_settings

CASE = "pin reaches an SSE client (live shopping)"
TARGET = "p95 ≤ 2 s"
POLL_CASE = "pin reaches a polling client (live shopping)"
POLL_TARGET = "p95 ≤ 5 s"
POLL_SECONDS = 3.0  # live.js's polling interval


def _live_page(products):
    from content.models import LiveSessionPage
    from creators.models import CreatorPage

    storefront = CreatorPage.objects.get(creator__handle="bench")
    starts_at = timezone.now().replace(microsecond=0)
    body = [{"type": "product_card", "id": f"bench-live-{product.pk}",
             "value": {"product": product.pk, "variant": None, "note": ""}} for product in products]
    page = LiveSessionPage(title="Bench live", slug="bench-live", starts_at=starts_at,
                           ends_at=starts_at + timedelta(hours=1), live=False, body=json.dumps(body))
    page.owner = storefront.creator.user
    storefront.add_child(instance=page)
    page.save_revision(user=page.owner).publish()
    page.refresh_from_db()
    return page


class _Reader(threading.Thread):
    """An EventSource-like client: records when each ``state`` event (by its version) arrived."""

    def __init__(self, port: int, page_id: int) -> None:
        super().__init__(daemon=True)
        self.arrivals: dict[int, float] = {}
        self.connection = HTTPConnection("127.0.0.1", port, timeout=60)
        self.connection.request("GET", f"/api/live/{page_id}/events/?viewer=bench-reader-1",
                                headers={"Host": "localhost", "Accept": "text/event-stream"})
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.status

    def run(self) -> None:
        version = None
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    version = int(line[4:])
                elif line.startswith("data: ") and version is not None:
                    self.arrivals.setdefault(version, time.perf_counter())
        except (OSError, ValueError, AttributeError):
            return  # the connection was closed at the end of the case

    def wait_for(self, version: int, *, seconds: float = 15) -> float | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if version in self.arrivals:
                return self.arrivals[version]
            time.sleep(0.001)
        return None


class _Poller(threading.Thread):
    """A reader without EventSource: GETs the state every ``POLL_SECONDS`` with the last ETag."""

    def __init__(self, port: int, page_id: int) -> None:
        super().__init__(daemon=True)
        self.arrivals: dict[int, float] = {}
        self.port, self.page_id = port, page_id
        self.stopped = threading.Event()

    def run(self) -> None:
        etag = ""
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stopped.is_set():
            try:
                connection.request("GET", f"/api/live/{self.page_id}/state/",
                                   headers={"Host": "localhost", **({"If-None-Match": etag} if etag else {})})
                response = connection.getresponse()
                body = response.read()
            except OSError:
                connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            if response.status == 200:
                etag = response.getheader("ETag", "")
                self.arrivals.setdefault(int(json.loads(body)["version"]), time.perf_counter())
            self.stopped.wait(POLL_SECONDS)

    def wait_for(self, version: int, *, seconds: float = 15) -> float | None:
        return _Reader.wait_for(self, version, seconds=seconds)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def pin_latency(data, *, rounds: int) -> list[Row]:
    from content.live.models import LiveSession
    from content.live.services import pin_product, start_session
    from shop.models import Product

    with local_redis() as redis_url:
        if redis_url is None:
            return [Row(CASE, "skipped (no redis-server)", "—", None, TARGET, None, "")]
        products = list(Product.objects.filter(brand__slug="bench-audio").order_by("pk")[:2])
        page = _live_page(products)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.bench", "DATABASE_URL": _database_url(),
               "REDIS_URL": redis_url, "CACHE_URL": redis_url}
        ports = [_free_port(), _free_port()]
        servers = [subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "settings.asgi", "-k", "uvicorn_worker.UvicornWorker",
             "--workers", "1", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
        reader = poller = None
        latencies, polled, missed, missed_polls = [], [], 0, 0
        phases = random.Random(7)
        try:
            for port, server in zip(ports, servers):
                _wait_for_port(port, server)
            with override_settings(REDIS_URL=redis_url, CACHES=cache_settings(redis_url)):
                start_session(page)
                reader, poller = _Reader(ports[0], page.pk), _Poller(ports[1], page.pk)
                reader.start()
                poller.start()
                for number in range(rounds + 2):  # two warm-up pins
                    started = time.perf_counter()
                    pin_product(page, product_id=products[number % len(products)].pk)
                    version = LiveSession.objects.values_list("version", flat=True).get(page=page)
                    arrived = reader.wait_for(version)
                    polled_at = poller.wait_for(version, seconds=POLL_SECONDS * 3)
                    if number < 2:
                        continue
                    if arrived is None:
                        missed += 1
                    else:
                        latencies.append((arrived - started) * 1000)
                    if polled_at is None:
                        missed_polls += 1
                    else:
                        polled.append((polled_at - started) * 1000)
                    time.sleep(0.05 + phases.uniform(0, POLL_SECONDS))  # pins fall anywhere between two polls
        finally:
            if reader is not None:
                reader.connection.close()
            if poller is not None:
                poller.stopped.set()
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=20)
    rows = []
    if not latencies:
        rows.append(Row(CASE, "no event arrived", "—", None, TARGET, False, f"{missed} of {rounds} pins missed"))
    else:
        p50, p95 = statistics.median(latencies), _percentile(latencies, 0.95)
        rows.append(Row(CASE, f"p50 {p50:.1f} ms, p95 {p95:.1f} ms", "—", None, TARGET, p95 <= 2000 and not missed,
                        f"{len(latencies)} pins, {missed} missed; stream on app process 1 of 2, Redis pub/sub; "
                        "pin_product call → state event read by the client"))
    if not polled:
        rows.append(Row(POLL_CASE, "no version arrived", "—", None, POLL_TARGET, False,
                        f"{missed_polls} of {rounds} pins missed"))
    else:
        p50, p95 = statistics.median(polled), _percentile(polled, 0.95)
        rows.append(Row(POLL_CASE, f"p50 {p50:.0f} ms, p95 {p95:.0f} ms", "—", None, POLL_TARGET,
                        p95 <= 5000 and not missed_polls,
                        f"{len(polled)} pins, {missed_polls} missed; polling app process 2 of 2 every "
                        f"{POLL_SECONDS:.0f} s with If-None-Match"))
    return rows
