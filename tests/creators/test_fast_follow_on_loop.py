"""A follow the fast path can decide without a blocking call is answered on the event loop: no thread per follow,
its click still in the queue before its redirect is sent; anything that would block goes to a thread, counted once."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from creators.fast_follow import FastFollow
from creators.services import click_buffer, click_queue, link_routes
from tests.creators.asgi_calls import CountingDjango, asgi_get
from tests.creators.helpers import PHONE
from tests.creators.test_fast_follow import click_in, mug_link, written_clicks  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


class CountingThreads(ThreadPoolExecutor):
    """The fast path's thread pool, counting what it is handed."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


@pytest.fixture
def fast(wagtail_base_data, queue, mug_link, settings):  # noqa: F811
    """The fast path after one follow through Django (the route cached in this process, click ids reserved)."""
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 2000  # a busy test machine must not expire a batch's 50 ms wait
    django = CountingDjango()
    app = FastFollow(django)
    app._executor = CountingThreads()
    assert asgi_get(django, "/r/mug-anna/", headers={"User-Agent": PHONE}).status == 302
    yield app
    app._executor.shutdown()


def queued_click_ids() -> set[int]:
    return {int(click_id) for click_id in click_queue.redis_client().hkeys(click_queue.PENDING)}


def test_a_cached_follow_is_answered_on_the_loop_with_its_click_queued_before_the_redirect(fast):
    queued_when_sent = []

    async def app(scope, receive, send):
        async def send_checked(message):
            if message["type"] == "http.response.start":
                queued_when_sent.append(queued_click_ids())
            await send(message)
        await fast(scope, receive, send_checked)

    answers = [asgi_get(app, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader {n}"}) for n in range(3)]

    assert [answer.status for answer in answers] == [302, 302, 302]
    assert (fast.django.calls, fast._executor.submitted) == (1, 0)  # no thread, no Django
    assert [click_in(answer) in queued for answer, queued in zip(answers, queued_when_sent)] == [True] * 3
    assert [click.pk for click in written_clicks()][1:] == [click_in(answer) for answer in answers]


def test_a_route_not_in_memory_is_followed_in_a_thread_and_counted_once(fast):
    link_routes._local_routes.forget(["mug-anna"])  # another process changed nothing; this one's copy expired

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} new reader"})

    assert (answer.status, fast.django.calls, fast._executor.submitted) == (302, 1, 1)
    clicks = list(written_clicks())
    assert (len(clicks), clicks[-1].pk) == (2, click_in(answer))


def test_a_visit_another_process_counted_redirects_with_that_click(fast):
    first = written_clicks().get()
    click_buffer._buffer._seen.clear()  # the visit was counted by another process: not in this one's memory

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": PHONE})

    assert (answer.status, click_in(answer), fast._executor.submitted) == (302, first.pk, 0)
    assert [click.pk for click in written_clicks()] == [first.pk]


@pytest.mark.parametrize("failure", [
    click_queue.NotSent("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
], ids=["redis-unreachable"])  # any other failure may come after Redis ran the batch: test_click_outcome_unknown
def test_a_batch_the_queue_fails_on_is_written_inline_and_answered(fast, monkeypatch, failure):
    real_count = click_queue.count_clicks_on_loop
    failures = []

    async def count_failing_once(clicks):
        if not failures:
            failures.append(len(clicks))
            raise failure
        return await real_count(clicks)

    monkeypatch.setattr(click_queue, "count_clicks_on_loop", count_failing_once)  # the loop sends its follows' batch

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader during the outage"})

    assert (answer.status, failures, fast.django.calls, fast._executor.submitted) == (302, [1], 1, 0)
    assert click_in(answer) not in queued_click_ids()  # written inline, in the database already
    assert click_in(answer) in {click.pk for click in written_clicks()}


def test_a_batch_not_landed_within_the_ack_wait_is_sent_by_the_follow_itself(fast, monkeypatch, settings):
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 30
    monkeypatch.setattr(click_buffer.ClickBuffer, "_send_on_loop", lambda self: None)  # the loop never sends
    monkeypatch.setattr(click_buffer.ClickBuffer, "_run", lambda self: None)  # nor the sender thread

    started = time.monotonic()
    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} patient reader"})

    assert (answer.status, fast.django.calls, fast._executor.submitted) == (302, 1, 1)  # settled in a thread
    assert time.monotonic() - started >= 0.03
    assert click_in(answer) in queued_click_ids()


def test_a_slow_redis_never_blocks_the_loop(fast, monkeypatch, settings):
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 2000  # the follow waits for its batch, however slow
    real_count = click_queue.count_clicks_on_loop

    async def slow_count(clicks):
        await asyncio.sleep(0.3)
        return await real_count(clicks)

    monkeypatch.setattr(click_queue, "count_clicks_on_loop", slow_count)
    monkeypatch.setattr(fast, "_threads", lambda: pytest.fail("a follow handed to a thread"))
    ticks = []

    async def ticking_app(scope, receive, send):
        async def ticker():
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(ticker())
        try:
            await fast(scope, receive, send)
        finally:
            ticking.cancel()

    answer = asgi_get(ticking_app, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader behind a slow Redis"})

    assert (answer.status, fast.django.calls) == (302, 1)
    assert len(ticks) >= 15  # the loop ran other work while the click's batch took 0.3 s
    assert click_in(answer) in queued_click_ids()


def counting_chain(fast) -> list:
    """The follow's middleware and view, built as at a process's start (``warm``), counting their runs."""
    fast.warm()
    runs, chain = [], fast._handler

    def counted(request):
        runs.append(request.path)
        return chain(request)

    fast._handler = counted
    return runs


def test_warm_builds_the_follow_chain_before_the_first_follow(fast):
    assert fast._handler is None
    fast.warm()
    assert fast._handler is not None


def test_in_write_behind_a_follow_goes_to_a_thread_without_running_its_chain_on_the_loop_first(fast, settings):
    asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 1"})  # the buffer made, on the loop
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0  # write-behind: the loop would have to refuse the click
    runs = counting_chain(fast)

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 2"})

    assert (answer.status, len(runs), fast._executor.submitted) == (302, 1, 1)
    click_buffer.flush_clicks()
    assert click_in(answer) in {click.pk for click in written_clicks()} | queued_click_ids()


def test_a_follow_past_its_ack_wait_with_every_slot_taken_waits_for_its_batch_instead_of_a_thread(
        fast, monkeypatch, settings):
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 30
    real_count = click_queue.count_clicks_on_loop

    async def slow_count(clicks):
        await asyncio.sleep(0.2)  # past the follow's 30 ms
        return await real_count(clicks)

    monkeypatch.setattr(click_queue, "count_clicks_on_loop", slow_count)
    slots = fast._slots()
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader behind busy threads"})

    for _ in range(taken):
        slots.release()
    assert (answer.status, fast.django.calls, fast._executor.submitted) == (302, 1, 0)
    assert click_in(answer) in queued_click_ids()


def test_a_wake_up_left_due_on_a_closed_loop_does_not_leave_later_follows_without_one(fast):
    asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 1"})  # the buffer and its sender made
    closed = asyncio.new_event_loop()
    closed.close()
    click_buffer._buffer._wake_scheduled = closed  # its last request cancelled before the wake-up ran

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 2"})

    assert (answer.status, fast._executor.submitted) == (302, 0)  # woken on this loop: no settle in a thread
    assert click_in(answer) in queued_click_ids()
