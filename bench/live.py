"""Live shopping: a creator pins a product, a reader's open SSE stream shows it. The stream is served by a
real ASGI process (gunicorn with a uvicorn worker, as the Procfile's ``live`` line), woken through Redis
pub/sub; the pin is made here with ``pin_product``, exactly as the live console does. The time measured
is from calling ``pin_product`` to the ``state`` event carrying the new version arriving at the client."""

import json
import os
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
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "settings.asgi", "-k", "uvicorn_worker.UvicornWorker",
             "--workers", "1", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reader = None
        try:
            _wait_for_port(port, server)
            with override_settings(REDIS_URL=redis_url, CACHES=cache_settings(redis_url)):
                start_session(page)
                reader = _Reader(port, page.pk)
                reader.start()
                latencies, missed = [], 0
                for number in range(rounds + 2):  # two warm-up pins
                    started = time.perf_counter()
                    pin_product(page, product_id=products[number % len(products)].pk)
                    version = LiveSession.objects.values_list("version", flat=True).get(page=page)
                    arrived = reader.wait_for(version)
                    if number < 2:
                        continue
                    if arrived is None:
                        missed += 1
                    else:
                        latencies.append((arrived - started) * 1000)
                    time.sleep(0.05)
        finally:
            if reader is not None:
                reader.connection.close()
            server.terminate()
            server.wait(timeout=20)
    if not latencies:
        return [Row(CASE, "no event arrived", "—", None, TARGET, False, f"{missed} of {rounds} pins missed")]
    p50, p95 = statistics.median(latencies), _percentile(latencies, 0.95)
    return [Row(CASE, f"p50 {p50:.1f} ms, p95 {p95:.1f} ms", "—", None, TARGET, p95 <= 2000 and not missed,
                f"{len(latencies)} pins, {missed} missed; 1 ASGI process, Redis pub/sub; "
                "pin_product call → state event read by the client")]
