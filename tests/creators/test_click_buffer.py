"""The click buffer behind ``/r/``: a follow makes no round trip to Redis, the buffer counts clicks in
batches with the same guarantees (once per visit across processes, the client's click limit, the
visitor hash), attribution follows a repeat counted late to the visit's click, a full buffer flushes
itself, and an app process stopped normally (SIGTERM to gunicorn) loses no buffered click."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from creators.models import Click, LinkTarget, OrderLineAttribution
from creators.services import click_buffer, click_drain, click_queue
from creators.services.links import create_tracked_link
from shop.attribution import read_attribution
from shop.services.client_identity import visitor_key
from tests.creators.helpers import ADDRESS
from tests.factories import make_creator, make_product
from tests.support.servers import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def follow(client, code: str, ip: str, agent: str = PHONE):
    return client.get(f"/r/{code}/", headers={"User-Agent": agent}, REMOTE_ADDR=ip)


def click_id_in(response, sku: str | None) -> int | None:
    return read_attribution(parse_qs(urlsplit(response["Location"]).query)["ref"][0], sku=sku).click_id


def commands_processed(queue) -> int:
    return queue.info("stats")["total_commands_processed"]


@pytest.fixture
def mug_link(site_tree):
    anna = make_creator("anna")
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    return create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=product, code="mug-anna")


@pytest.mark.django_db
def test_a_follow_makes_no_redis_round_trip_and_one_flush_counts_the_visits(mug_link, client, queue, settings):
    settings.KOLSHOP_CLICK_FLUSH_MS = 60_000  # write-behind: the buffer's thread waits; the test flushes
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0
    follow(client, "mug-anna", "203.0.113.1")  # warm-up: route cached, click ids reserved
    click_buffer.flush_clicks()
    assert click_drain.drain_all_clicks() == 1
    idle = -commands_processed(queue) + commands_processed(queue)  # INFO counts itself

    before = commands_processed(queue)
    first = follow(client, "mug-anna", "203.0.113.2")
    repeat = follow(client, "mug-anna", "203.0.113.2")
    other = follow(client, "mug-anna", "203.0.113.3")
    during = commands_processed(queue) - before

    assert during == idle
    assert click_id_in(repeat, "MUG-1") == click_id_in(first, "MUG-1") != click_id_in(other, "MUG-1")
    assert queue.xlen(click_queue.STREAM) == 0
    assert click_buffer.flush_clicks() == 2
    assert queue.xlen(click_queue.STREAM) == 2
    assert click_drain.drain_all_clicks() == 2
    visitor = visitor_key(ip="203.0.113.2", user_agent=PHONE, now=Click.objects.get(pk=click_id_in(first, "MUG-1"))
                          .clicked_at)
    assert Click.objects.get(pk=click_id_in(first, "MUG-1")).visitor_hash == visitor.current
    assert Click.objects.count() == 3


@pytest.mark.django_db
def test_a_repeat_counted_by_another_process_points_at_the_visits_click(mug_link, client, queue, shop_settings,
                                                                       monkeypatch):
    shop_settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0  # write-behind: the redirect carries the id before it is counted
    first = follow(client, "mug-anna", "203.0.113.9")  # process A
    click_buffer.flush_clicks()
    monkeypatch.setattr(click_buffer, "_buffer", None)  # process B: its own buffer, no memory of the visit
    repeat = follow(client, "mug-anna", "203.0.113.9")
    click_buffer.flush_clicks()
    counted, repeated = click_id_in(first, "MUG-1"), click_id_in(repeat, "MUG-1")

    client.get(repeat["Location"], headers={"User-Agent": PHONE}, REMOTE_ADDR="203.0.113.9")
    client.post("/checkout/", {"email": "ada@example.com", "fulfilment": "shipping", **ADDRESS})

    assert repeated != counted
    assert click_queue.click_aliases([repeated]) == {repeated: counted}
    decision = OrderLineAttribution.objects.get()
    assert (decision.creator_id, decision.click_id, decision.source) == (mug_link.creator_id, counted, "click")
    assert decision.attributed_at == Click.objects.get(pk=counted).clicked_at
    assert click_drain.drain_all_clicks() == 1  # written by attribution already: skipped
    assert list(Click.objects.values_list("pk", flat=True)) == [counted]


@pytest.mark.django_db
def test_the_client_click_limit_is_counted_with_the_clicks(mug_link, client, queue, settings, steady_click_clock):
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0  # write-behind: over the limit is known after the redirect
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "click": "3/m"}
    responses = [follow(client, "mug-anna", "203.0.113.7", agent=f"{PHONE} reader-{n}") for n in range(5)]
    click_buffer.flush_clicks()
    click_ids = [click_id_in(response, "MUG-1") for response in responses]

    assert [response.status_code for response in responses] == [302] * 5
    assert click_drain.drain_all_clicks() == 3
    assert sorted(Click.objects.values_list("pk", flat=True)) == sorted(click_ids[:3])
    assert click_queue.click_aliases(click_ids[3:]) == {click_ids[3]: 0, click_ids[4]: 0}
    assert click_buffer.resolve_clicks(set(click_ids[3:])) == {}
    assert follow(client, "mug-anna", "203.0.113.8").status_code == 302  # another client: its own limit
    click_buffer.flush_clicks()
    assert click_drain.drain_all_clicks() == 1


@pytest.mark.django_db
def test_a_full_buffer_is_flushed_by_the_request_that_fills_it(mug_link, client, queue, settings):
    settings.KOLSHOP_CLICK_FLUSH_MS = 60_000
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0
    settings.KOLSHOP_CLICK_BUFFER_SIZE = 3
    for n in range(2):
        follow(client, "mug-anna", f"203.0.113.{n + 1}")
    assert queue.xlen(click_queue.STREAM) == 0

    follow(client, "mug-anna", "203.0.113.3")

    assert queue.xlen(click_queue.STREAM) == 3
    assert click_buffer.click_buffer(write_inline=None).pending() == 0


def _start_web(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    """The Procfile's web process: gunicorn with one uvicorn worker."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "settings.asgi", "-k", "uvicorn_worker.UvicornWorker", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "20"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start: {log.read_text()}")
            time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_an_app_process_stopped_normally_hands_on_every_buffered_click(wagtail_base_data, queue, redis_url,
                                                                        tmp_path):
    anna = make_creator("anna")
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url(),
           "REDIS_URL": redis_url, "KOLSHOP_CLICK_FLUSH_MS": "600000",  # write-behind: only the stop flushes
           "KOLSHOP_CLICK_ACK_WAIT_MS": "0"}
    web, port = _start_web(env, tmp_path / "web.log")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        statuses = []
        for n in range(20):
            conn.request("GET", "/r/anna-shop/", headers={"Host": "localhost", "User-Agent": f"{PHONE} reader-{n}"})
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        conn.close()
        queued_while_running = queue.hlen(click_queue.PENDING)
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=60)
    finally:
        if web.poll() is None:
            web.kill()

    assert statuses == [302] * 20
    assert queued_while_running == 0
    assert queue.hlen(click_queue.PENDING) == 20
    assert click_drain.drain_all_clicks() == 20
    assert Click.objects.count() == 20


@pytest.mark.django_db
def test_a_batch_is_counted_after_redis_forgot_the_script(mug_link, client, queue):
    follow(client, "mug-anna", "203.0.113.1")
    click_buffer.flush_clicks()
    queue.script_flush()  # Redis restarted (or flushed its scripts) between two batches

    follow(client, "mug-anna", "203.0.113.2")
    click_buffer.flush_clicks()

    assert queue.hlen(click_queue.PENDING) == 2
    assert click_drain.drain_all_clicks() == 2


@pytest.mark.django_db
def test_resolving_clicks_while_redis_is_down_leaves_them_unresolved_instead_of_failing(queue, settings, monkeypatch):
    """An order placed or paid during a Redis outage: the clicks Redis holds can't be read, the order goes on."""
    def down(*args, **kwargs):
        raise click_queue.redis.ConnectionError("Connection refused")

    monkeypatch.setattr(click_queue, "click_aliases", down)

    assert click_buffer.resolve_clicks({41, 42}) == {}


def test_the_buffer_forgets_its_oldest_decisions_first_when_it_keeps_its_most(monkeypatch, settings):
    """Decisions no request reads (write-behind, tickets) are capped: the oldest go, one by one, so a decision a
    request is about to read (its batch just in) outlives COUNTED_KEPT newer ones, not wiped with the rest."""
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0  # write-behind: nobody reads the decisions
    monkeypatch.setattr(click_buffer.ClickBuffer, "_run", lambda self: None)  # batches sent by flush() below only
    monkeypatch.setattr(click_queue, "count_clicks", lambda clicks: [click.click_id + 900_000 for click in clicks])
    buffer = click_buffer.ClickBuffer(write_inline=lambda clicks: pytest.fail("written inline"))
    kept = click_buffer.COUNTED_KEPT

    for click_id in range(1, kept + 3):  # each a repeat another process counted first (as id + 900,000)
        buffer.add(click_queue.QueuedClick(click_id, "{}", link_id=7, visitor_candidates=(f"v{click_id}", "w"),
                                           window_seconds=3600))
    buffer.flush()  # in batches: the last one finds the decisions full

    decisions = list(buffer._counted.items())
    assert (len(decisions), decisions[0], decisions[-1]) == (kept, (3, 900_003), (kept + 2, kept + 900_002))
