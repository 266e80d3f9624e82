"""What a follow decided on the event loop no longer pays for, and what it still gets: Django's request signals only
when a receiver could act on them, one deadline timer per loop, a thread's slot held until the thread ends, and the
queue's decision taken by the follow it was made for."""

import asyncio
import contextvars
import gc
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import signals

from creators.services import click_buffer, click_queue
from creators.services.click_tickets import Ticket, on_loop
from tests.creators import asgi_calls
from tests.creators.asgi_calls import asgi_get
from tests.creators.helpers import PHONE
from tests.creators.test_fast_follow import click_in, mug_link, written_clicks  # noqa: F401 (a fixture)
from tests.creators.test_fast_follow_on_loop import fast  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_running_loop")]


def counting_sends(monkeypatch, signal) -> list:
    sent = []
    real_send = signal.send

    def send(*args, **kwargs):
        sent.append(kwargs.get("sender"))
        return real_send(*args, **kwargs)

    monkeypatch.setattr(signal, "send", send)
    return sent


def test_a_loop_follow_sends_no_request_signal_while_only_djangos_own_receivers_listen(fast, monkeypatch):  # noqa: F811
    started, finished = counting_sends(monkeypatch, signals.request_started), counting_sends(
        monkeypatch, signals.request_finished)

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 1"})

    assert (answer.status, fast.django.calls, fast._executor.submitted) == (302, 1, 0)  # the fixture's only
    assert (started, finished) == ([], [])


def test_a_receiver_of_the_project_still_hears_each_loop_follow(fast):  # noqa: F811
    heard = []

    def on_started(**kwargs):
        heard.append("started")

    def on_finished(**kwargs):
        heard.append("finished")

    signals.request_started.connect(on_started)
    signals.request_finished.connect(on_finished)
    try:
        answers = [asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader {n}"}) for n in range(2)]
    finally:
        signals.request_started.disconnect(on_started)
        signals.request_finished.disconnect(on_finished)

    assert [answer.status for answer in answers] == [302, 302]
    assert (fast.django.calls, fast._executor.submitted) == (1, 0)  # the fixture's follow only: on the loop
    assert heard == ["started", "finished"] * 2


def test_a_followers_decision_is_taken_not_left_to_crowd_out_a_waiting_requests(fast):  # noqa: F811
    first = written_clicks().get()
    click_buffer._buffer._seen.clear()  # the visit was counted by another process: the queue decides another id

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": PHONE})

    assert (answer.status, click_in(answer), fast._executor.submitted) == (302, first.pk, 0)
    assert dict(click_buffer._buffer._counted) == {}


def test_tickets_on_one_loop_share_one_timer_and_only_the_unanswered_expire():
    settled = []

    async def follows():
        loop = asyncio.get_running_loop()
        now = loop.time()  # asyncio's clock is time.monotonic
        tickets = [Ticket(sequence, False, now + 0.05 + sequence / 100, sequence, loop) for sequence in range(1, 4)]

        async def settle(ticket):
            settled.append(ticket.sequence)
            ticket.answer = ticket.provisional

        waits = [asyncio.ensure_future(ticket.counted(settle=settle)) for ticket in tickets]
        await asyncio.sleep(0)
        timers = len(loop._scheduled)
        tickets[1].future.set_result(20)  # its batch landed in time
        return timers, await asyncio.gather(*waits)

    timers, answers = asyncio.run(follows())

    assert (timers, answers, settled) == (1, [1, 20, 3], [1, 3])


def test_a_cancelled_follow_leaves_its_threads_slot_taken_until_the_thread_ends(fast):  # noqa: F811
    asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 1"})  # the buffer made
    slots, release = fast._slots(), threading.Event()
    fast_settle = click_buffer._buffer.settle
    click_buffer._buffer.settle = lambda ticket: release.wait(5)
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    slots.release()  # one slot free: the settle's
    taken -= 1

    async def cancelled_settle():
        loop = asyncio.get_running_loop()
        settling = asyncio.ensure_future(fast._settle(Ticket(1, False, 0.0, 1, loop)))
        await asyncio.sleep(0.05)
        settling.cancel()
        await asyncio.sleep(0.05)
        return slots.acquire(blocking=False)

    try:
        free_while_running = asyncio.run(cancelled_settle())
        release.set()
        fast._executor.shutdown(wait=True)
        free_after = slots.acquire(blocking=False)
    finally:
        click_buffer._buffer.settle = fast_settle
        for _ in range(taken + free_after + free_while_running):
            slots.release()

    assert (free_while_running, free_after) == (False, True)


def test_the_loops_follows_are_sent_by_the_loop_without_the_sender_thread(fast, monkeypatch, settings):  # noqa: F811
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 2000
    monkeypatch.setattr(click_buffer.ClickBuffer, "_run", lambda self: None)  # a sender thread that never sends

    answers = [asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader {n}"}) for n in range(3)]

    assert [answer.status for answer in answers] == [302] * 3
    assert (fast.django.calls, fast._executor.submitted) == (1, 0)  # none settled in a thread after its wait
    assert [click.pk for click in written_clicks()][1:] == [click_in(answer) for answer in answers]


def close_a_loop_mid_send(fast, monkeypatch) -> int:  # noqa: F811
    """A follow decided on a loop whose send is awaiting Redis (hung) when the loop is closed, its task never
    finished nor cancelled (``run_until_complete`` then ``close``); returns the follow's click id."""
    asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 1"})  # the buffer made, on the loop
    sending, sent = asyncio.Event(), []

    async def hung_redis(clicks):
        sent.extend(click.click_id for click in clicks)
        sending.set()
        await asyncio.Event().wait()

    follows = []

    def run_until_sending_then_close(call):
        loop = asyncio.new_event_loop()
        follows.append(loop.create_task(call))
        loop.run_until_complete(asyncio.wait_for(sending.wait(), 5))
        loop.close()  # the follow's and the send's tasks left pending
        return [{"status": 0, "headers": []}]  # no answer sent

    with monkeypatch.context() as patched:
        patched.setattr(click_queue, "count_clicks_on_loop", hung_redis)
        patched.setattr(asgi_calls, "_run", run_until_sending_then_close)
        asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 2"})
    assert (len(sent), follows[0].done()) == (1, False)
    return sent[0]


def in_a_thread(call, *args, **kwargs):
    """``call(*args, **kwargs)``, failing the test (not hanging it) should it block."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(call, *args, **kwargs).result(timeout=15)
    finally:
        pool.shutdown(wait=False)


def test_a_send_left_in_flight_on_a_closed_loop_is_sent_by_the_next_loops_follow(fast, monkeypatch):  # noqa: F811
    stranded = close_a_loop_mid_send(fast, monkeypatch)

    answer = in_a_thread(asgi_get, fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 3"})

    assert (answer.status, fast._executor.submitted) == (302, 0)  # sent on this loop: no settle in a thread
    assert {stranded, click_in(answer)} <= {click.pk for click in in_a_thread(list, written_clicks())}


def test_a_send_left_in_flight_on_a_closed_loop_is_sent_by_a_threads_flush(fast, monkeypatch):  # noqa: F811
    stranded = close_a_loop_mid_send(fast, monkeypatch)

    assert in_a_thread(click_buffer.flush_clicks) == 1
    assert stranded in {click.pk for click in written_clicks()}


_request = contextvars.ContextVar("a_request_of_the_test", default=None)


def test_the_loops_send_runs_in_no_follows_context(fast, monkeypatch):  # noqa: F811
    real_count, seen = click_queue.count_clicks_on_loop, []

    async def count(clicks):
        seen.append((on_loop(), _request.get()))
        return await real_count(clicks)

    monkeypatch.setattr(click_queue, "count_clicks_on_loop", count)
    _request.set("request 1")  # as structlog's request id, bound while the first follow is answered
    try:
        answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 1"})
    finally:
        _request.set(None)

    assert (answer.status, seen) == (302, [(False, None)])


def test_the_loops_sending_task_is_kept_while_its_send_awaits_redis(fast, monkeypatch):  # noqa: F811
    sending, kept = asyncio.Event(), []

    async def hung_redis(clicks):
        sending.set()
        await asyncio.Event().wait()  # referenced by the send alone

    async def collected_while_sending():
        await asyncio.wait_for(sending.wait(), 5)
        [sender] = [task for task in asyncio.all_tasks() if task.get_coro().__name__ == "_sending_from_loop"]
        sender_ref = weakref.ref(sender)
        del sender
        gc.collect()
        kept.append(sender_ref() is not None)

    def run_collecting(call):
        loop = asyncio.new_event_loop()
        loop.create_task(call)
        loop.run_until_complete(collected_while_sending())
        loop.close()
        return [{"status": 0, "headers": []}]  # no answer sent

    with monkeypatch.context() as patched:
        patched.setattr(click_queue, "count_clicks_on_loop", hung_redis)
        patched.setattr(asgi_calls, "_run", run_collecting)
        asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} reader 1"})

    assert kept == [True]


def test_a_cancelled_follows_thread_failing_leaves_no_unretrieved_error(fast):  # noqa: F811
    reported, failed = [], threading.Event()

    def failing():
        failed.wait(5)
        raise RuntimeError("the database went away")

    async def cancelled_while_in_thread():
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda loop, context: reported.append(context["message"]))
        assert fast._slots().acquire(blocking=False)
        follow = asyncio.ensure_future(fast._in_thread(failing))
        await asyncio.sleep(0.05)
        follow.cancel()
        await asyncio.sleep(0)
        failed.set()
        for _ in range(50):  # the thread's error reaches the loop
            await asyncio.sleep(0.02)
        del follow
        gc.collect()

    asyncio.run(cancelled_while_in_thread())

    assert reported == []


def test_a_ticket_with_a_shorter_wait_expires_at_its_own_deadline():
    async def follows():
        loop = asyncio.get_running_loop()
        expired = {}

        async def settle(ticket):
            expired[ticket.sequence] = loop.time()
            ticket.answer = ticket.provisional

        started = loop.time()
        waits = [asyncio.ensure_future(Ticket(1, False, started + 2.0, 1, loop).counted(settle=settle))]
        await asyncio.sleep(0)  # its timer armed for 2 s
        waits.append(asyncio.ensure_future(Ticket(2, False, loop.time() + 0.05, 2, loop).counted(settle=settle)))
        await waits[1]
        waits[0].cancel()
        return expired[2] - started

    assert asyncio.run(follows()) < 1


def test_a_loop_closed_with_tickets_waiting_is_let_go():
    async def waiting():
        loop = asyncio.get_running_loop()
        asyncio.ensure_future(Ticket(1, False, loop.time() + 60, 1, loop).counted(settle=None))
        await asyncio.sleep(0)

    closed = asyncio.new_event_loop()
    closed.run_until_complete(waiting())
    closed.close()
    closed_ref = weakref.ref(closed)
    del closed
    asyncio.run(waiting())  # the next loop's first ticket
    gc.collect()

    assert closed_ref() is None


def test_a_send_finalised_off_its_closed_loop_by_a_thread_holding_the_buffers_lock_takes_no_lock(fast, monkeypatch):  # noqa: F811
    """The garbage collector may finalise a closed loop's pending send in any thread, even one holding the buffer's
    lock; redis-py's cleanup then raises RuntimeError (no running loop) into it, not GeneratorExit. The send takes
    no lock then (a thread can't take it twice: it would wait for ever), and its batch is still taken back."""
    stranded = close_a_loop_mid_send(fast, monkeypatch)
    buffer = click_buffer._buffer
    [sender] = [task for loop, task in buffer._sender_tasks.items() if loop.is_closed()]

    def finalised_holding_the_lock():
        with buffer._lock:
            with pytest.raises(StopIteration):  # the send ends there, its batch left in flight
                sender.get_coro().throw(RuntimeError("no running event loop"))

    in_a_thread(finalised_holding_the_lock)
    assert in_a_thread(click_buffer.flush_clicks) == 1
    assert stranded in {click.pk for click in written_clicks()}
