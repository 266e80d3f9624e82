"""A batch Redis counted whose reply never came (timed out, or its send cancelled) may hold a repeat Redis counted as
the visit's earlier click, still in the stream, and has spent its client's click limit: the database knows neither,
so such a batch is only ever counted by Redis again (resent, or spooled for a resend), never written inline. No
click is counted twice and the limit is spent once."""

import asyncio
import dataclasses
import json
import os
import threading
import time

import pytest
import redis

from creators.models import Click, ClickAlias, ClickLimitUse
from creators.services import click_buffer, click_drain, click_queue, click_spool, links
from operations import shared_redis
from tests.creators.asgi_calls import asgi_get
from tests.creators.helpers import PHONE
from tests.creators.test_click_buffer import click_id_in, follow
from tests.creators.test_click_spool import mug_clicks
from tests.creators.test_clicks_redis_down import mug_link, take_redis_down  # noqa: F401 (a fixture: limit 3/m)
from tests.creators.test_fast_follow import click_in
from tests.creators.test_fast_follow_on_loop import fast  # noqa: F401 (a fixture)

READER = "203.0.113.5"
CLICK_FIELDS = {"id": 41, "link_id": 1, "clicked_at": "2026-11-27T12:00:00+00:00"}


# how a reply is lost: it times out; the connection drops while it is read (or redis-py's retry, after a timed-out
# attempt, can't reconnect): ``click_queue.may_have_run``
LOST_REPLIES = pytest.mark.parametrize("error", [
    redis.TimeoutError("no reply in time"), redis.ConnectionError("Connection closed by server."),
], ids=["timed-out", "connection-lost"])


def replies_lost_once(monkeypatch, name: str, error: Exception = redis.TimeoutError("no reply in time")) -> list[int]:
    """``click_queue.<name>`` (the thread's send, or the loop's) runs its pipeline on the real Redis, then its reply
    is lost (``error``), once; returns the sizes of the batches whose reply was lost."""
    real, lost = getattr(click_queue, name), []

    def answered(clicks, answer):
        if lost:
            return answer
        lost.append(len(clicks))
        raise error

    async def on_loop(clicks):
        return answered(clicks, await real(clicks))

    monkeypatch.setattr(click_queue, name, on_loop if asyncio.iscoroutinefunction(real)
                        else lambda clicks: answered(clicks, real(clicks)))
    return lost


def rate_used(queue) -> int:
    return sum(int(queue.get(key)) for key in queue.keys(f"{click_queue.RATE_PREFIX}*"))


@LOST_REPLIES
@pytest.mark.django_db
def test_a_batch_redis_counted_whose_reply_timed_out_is_resent_to_redis_never_written_inline(
        mug_link, client, queue, settings, shop_settings, monkeypatch, tmp_path, error,  # noqa: F811
        steady_click_clock):
    shop_settings.KOLSHOP_RATE_LIMITS = {**shop_settings.KOLSHOP_RATE_LIMITS, "click": "3/h"}
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0  # write-behind: the sender thread's failed batch is kept in the buffer
    settings.KOLSHOP_CLICK_FLUSH_MS = 60_000
    first = follow(client, "mug-anna", READER)
    click_buffer.flush_clicks()  # the visit's click: in the stream, not yet in the table
    monkeypatch.setattr(click_buffer, "_buffer", None)  # another app process
    repeat = follow(client, "mug-anna", READER)
    other = follow(client, "mug-anna", READER, agent=f"{PHONE} reader-2")
    visit, reserved, other_click = (click_id_in(response, "MUG-1") for response in (first, repeat, other))
    lost = replies_lost_once(monkeypatch, "count_clicks", error)
    buffer = click_buffer.click_buffer_if_made()

    assert buffer.flush(background=True) == 0  # the sender thread: Redis counted the batch, the reply timed out
    buffer._unavailable_until = time.monotonic() + 60  # the unavailable second, however slow this machine
    assert buffer.flush() == 2  # a request's flush within the unavailable second
    assert lost == [2] and rate_used(queue) == 3
    assert not (Click.objects.exists() or ClickAlias.objects.exists() or ClickLimitUse.objects.exists())

    assert links.replay_spooled_clicks() == 2  # resent to Redis: it finds both clicks decided already
    click_drain.drain_all_clicks()
    assert sorted(Click.objects.values_list("pk", flat=True)) == sorted([visit, other_click])
    # the id attribution would ask about (those not written): the repeat's, standing for the visit's click
    assert click_buffer.resolve_clicks({reserved}) == {reserved: visit}
    assert rate_used(queue) == 3  # the limit spent once per click, the resend spending none
    buffer._unavailable_until = 0.0  # the unavailable second over (else this follow's click is written inline)
    over = click_id_in(follow(client, "mug-anna", READER, agent=f"{PHONE} reader-3"), "MUG-1")
    click_buffer.flush_clicks()
    assert click_buffer.never_counted(over) and not ClickLimitUse.objects.exists()


@LOST_REPLIES
def test_a_loops_batch_counted_whose_reply_timed_out_is_answered_and_never_written_inline(
        fast, queue, settings, monkeypatch, tmp_path, error):  # noqa: F811
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    visit = max(int(click_id) for click_id in queue.hkeys(click_queue.PENDING))  # the fixture's follow, queued
    monkeypatch.setattr(click_buffer, "_buffer", None)  # another app process
    lost = replies_lost_once(monkeypatch, "count_clicks_on_loop", error)

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": PHONE})  # the same visit, on the loop

    reserved = click_in(answer)
    assert (answer.status, lost, fast._executor.submitted) == (302, [1], 0)
    assert reserved != visit  # the reserved id the redirect carries: its outcome unknown, spooled
    assert not (Click.objects.exists() or ClickAlias.objects.exists())  # nothing written inline
    assert links.replay_spooled_clicks() == 1
    click_drain.drain_all_clicks()
    assert list(Click.objects.values_list("pk", flat=True)) == [visit]
    assert click_buffer.resolve_clicks({reserved}) == {reserved: visit}


def test_a_flush_takes_back_a_batch_whose_loop_blocked_mid_send_after_a_calls_time_limit(queue, monkeypatch):
    monkeypatch.setattr(shared_redis, "READ_TIMEOUT_SECONDS", 0.2)
    buffer = click_buffer.ClickBuffer(write_inline=lambda clicks: pytest.fail("written inline"))
    blocked, running = threading.Event(), threading.Event()
    loop = asyncio.new_event_loop()
    loop.call_soon(running.set)
    loop.call_soon(blocked.wait)  # a loop that stopped answering with one of its batches in flight
    looping = threading.Thread(target=loop.run_forever, daemon=True)
    looping.start()
    running.wait(5)
    click = click_queue.QueuedClick(click_id=41, payload=json.dumps(CLICK_FIELDS), link_id=1,
                                    visitor_candidates=("v", "v"), window_seconds=60)
    buffer._appended = 1
    buffer._in_flight = (loop, [(1, click)])
    flushed = []
    flushing = threading.Thread(target=lambda: flushed.append(buffer.flush()), daemon=True)
    started = time.monotonic()
    flushing.start()
    flushing.join(timeout=5)
    took = time.monotonic() - started
    blocked.set()
    loop.call_soon_threadsafe(loop.stop)
    looping.join(timeout=5)
    loop.close()

    assert flushed == [1] and 1.1 < took < 5  # taken back after the time limit and a second, sent again
    assert queue.hkeys(click_queue.PENDING) == [b"41"] and buffer._landed == 1


@pytest.mark.django_db
def test_a_spooled_click_redis_may_have_counted_stays_spooled_while_redis_is_down(settings, tmp_path):
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    take_redis_down(settings)
    clicks = mug_clicks(2, first_id=700_301)
    click_spool.spool_clicks([dataclasses.replace(clicks[0], outcome_unknown=True), clicks[1]])

    with pytest.raises(redis.ConnectionError):  # the database is up, but it can't know what Redis counted
        links.replay_spooled_clicks()

    assert list(Click.objects.values_list("pk", flat=True)) == [700_302]  # the unmarked click: written inline
    assert [path.name for path in (tmp_path / "spool").iterdir()] == [f"unknown-clicks-{os.getpid()}.jsonl"]


@LOST_REPLIES
@pytest.mark.django_db
def test_a_spool_replay_whose_reply_timed_out_writes_nothing_inline_and_keeps_the_file(
        queue, settings, tmp_path, monkeypatch, error):
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    [visit] = mug_clicks(1, first_id=700_501)
    visit = dataclasses.replace(visit, client="reader", limit=(3, 3600))
    repeat = dataclasses.replace(visit, click_id=700_502,
                                 payload=json.dumps({**json.loads(visit.payload), "id": 700_502}))
    click_spool.spool_clicks([visit, repeat])  # spooled unmarked: Redis and the database were down
    lost = replies_lost_once(monkeypatch, "count_clicks", error)

    with pytest.raises(type(error)):  # Redis counted the batch, its reply was lost
        links.replay_spooled_clicks()

    assert lost == [2] and not (Click.objects.exists() or ClickAlias.objects.exists() or ClickLimitUse.objects.exists())
    # left for the next pass, moved and marked: a pass finding Redis down, or a release before the mark, leaves them
    [kept] = (tmp_path / "spool").iterdir()  # renamed at once: its clicks read as marked, whatever their lines say
    assert kept.name.startswith(f"unknown-clicks-moved-{os.getpid()}-") and kept.name.endswith(".jsonl")
    monkeypatch.setattr(click_queue, "count_clicks", _not_sent)
    with pytest.raises(click_queue.NotSent):
        links.replay_spooled_clicks()
    assert not Click.objects.exists() and [path.name for path in (tmp_path / "spool").iterdir()] == [kept.name]
    monkeypatch.undo()
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    assert links.replay_spooled_clicks() == 2  # Redis answers: it finds both decided already
    click_drain.drain_all_clicks()
    assert list(Click.objects.values_list("pk", flat=True)) == [700_501] and not ClickLimitUse.objects.exists()
    assert click_buffer.resolve_clicks({700_502}) == {700_502: 700_501}
    assert rate_used(queue) == 2  # spent once per click, not again by the resend
    assert not list((tmp_path / "spool").iterdir())


def _not_sent(clicks):
    raise click_queue.NotSent("Redis is down")


@pytest.mark.django_db
def test_clicks_redis_may_have_counted_that_cant_be_spooled_hold_up_no_later_follow(
        mug_link, client, queue, settings, monkeypatch, tmp_path):  # noqa: F811
    (tmp_path / "spool").write_text("")  # a spool that can't be written
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0
    settings.KOLSHOP_CLICK_FLUSH_MS = 60_000
    follow(client, "mug-anna", READER)
    lost = replies_lost_once(monkeypatch, "count_clicks")
    buffer = click_buffer.click_buffer_if_made()
    assert buffer.flush(background=True) == 0  # Redis counted it, the reply was lost: kept, marked
    buffer._unavailable_until = time.monotonic() + 60  # the unavailable second, however slow this machine

    later = click_id_in(follow(client, "mug-anna", READER, agent=f"{PHONE} reader-2"), "MUG-1")
    buffer.flush()  # within the unavailable second: the marked click can't be spooled, the later one goes inline

    assert lost == [1] and list(Click.objects.values_list("pk", flat=True)) == [later]
    assert buffer.pending() == 1  # the marked click, kept for Redis

    monkeypatch.setattr(click_buffer.ClickBuffer, "BATCH", 1)  # each click its own batch
    others = [follow(client, "mug-anna", READER, agent=f"{PHONE} reader-{number}") for number in (3, 4)]
    buffer._unavailable_until = 0.0  # the unavailable second over: the marked click goes to Redis, not inline
    assert buffer.flush() == 3  # one flush hands on every batch: the earlier kept click stops none of them
    assert buffer.pending() == 0 and list(Click.objects.values_list("pk", flat=True)) == [later]
    click_drain.drain_all_clicks()
    assert Click.objects.count() == 4 and len(others) == 2


def test_a_batch_neither_the_database_nor_the_spool_takes_is_kept_once(settings, tmp_path):
    (tmp_path / "spool").write_text("")  # a spool that can't be written
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")

    def database_down(clicks):
        raise RuntimeError("the database is down")

    buffer = click_buffer.ClickBuffer(write_inline=database_down)
    fields = dict(payload=json.dumps(CLICK_FIELDS), link_id=1, visitor_candidates=("v", "v"), window_seconds=60)
    marked = click_queue.QueuedClick(click_id=41, outcome_unknown=True, **fields)
    known = click_queue.QueuedClick(click_id=42, **fields)

    with pytest.raises(RuntimeError):  # the database's error: the request that flushed fails, nothing acknowledged
        buffer._write_aside([(1, marked), (2, known)], cause=redis.ConnectionError("Redis is down"))

    assert [(sequence, click.click_id) for sequence, click in buffer._clicks] == [(1, 41), (2, 42)]  # each once, in
    # sequence order (batches land in order: a waiter's click is never behind a later one), none dropped


def replies_lost(monkeypatch, times: int) -> list[int]:
    """``click_queue.count_clicks`` runs on the real Redis, then its reply is lost (timed out), ``times`` times."""
    real, lost = click_queue.count_clicks, []

    def answered(clicks):
        answer = real(clicks)
        if len(lost) < times:
            lost.append(len(clicks))
            raise redis.TimeoutError("no reply in time")
        return answer

    monkeypatch.setattr(click_queue, "count_clicks", answered)
    return lost


@pytest.mark.django_db
def test_a_click_recorded_without_the_buffer_whose_reply_was_lost_is_never_written_inline(
        mug_link, queue, settings, monkeypatch, tmp_path):  # noqa: F811
    settings.KOLSHOP_CLICK_FLUSH_MS = 0  # no buffer: ``record_click`` counts each click in Redis itself
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    lost = replies_lost(monkeypatch, 1)

    click = links.record_click(mug_link, ip=READER, user_agent=PHONE)

    assert lost == [1] and not Click.objects.exists()  # Redis counted it; nothing written inline
    [spooled] = (tmp_path / "spool").iterdir()  # spooled, marked, for Redis alone
    assert spooled.name == f"unknown-clicks-{os.getpid()}.jsonl"
    assert links.replay_spooled_clicks() == 1
    click_drain.drain_all_clicks()
    assert list(Click.objects.values_list("pk", flat=True)) == [click.pk]


@pytest.mark.django_db
def test_a_click_recorded_without_the_buffer_while_no_id_can_be_reserved_is_written_inline(
        mug_link, queue, settings, monkeypatch):  # noqa: F811
    settings.KOLSHOP_CLICK_FLUSH_MS = 0

    def no_ids():
        raise redis.TimeoutError("no reply in time")

    monkeypatch.setattr(click_queue, "reserve_click_id", no_ids)

    click = links.record_click(mug_link, ip=READER, user_agent=PHONE)  # nothing was sent: inline

    assert list(Click.objects.values_list("pk", flat=True)) == [click.pk]
