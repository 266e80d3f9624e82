"""What the click path no longer pays for, with the same answers: a resent click decided before spends none of its
client's limit again, the loop finds a click id at hand at a block's end, bots are told apart without a
case-folding regex, and the loop's Redis calls are bounded by one timer."""

import asyncio
import socket
import threading
import time

import pytest
import redis
from django.db import connection

from creators.services import click_ids, click_queue
from creators.services.click_tickets import MustBlock
from creators.services.links import _BOT_PATTERN, is_bot
from operations import shared_redis


def limited_click(click_id: int, visitor: str) -> click_queue.QueuedClick:
    return click_queue.QueuedClick(click_id=click_id, payload="{}", link_id=7, visitor_candidates=(visitor, visitor),
                                   window_seconds=3600, client="203.0.113.9", limit=(3, 3600), clicked_at=time.time())


@pytest.mark.django_db
def test_a_resent_repeat_spends_none_of_its_clients_click_limit(queue):
    first, repeat, other = limited_click(1, "reader-a"), limited_click(2, "reader-a"), limited_click(3, "reader-b")

    assert click_queue.count_clicks([first, repeat]) == [1, 1]  # two of the client's three clicks used
    assert click_queue.count_clicks([repeat]) == [1]  # the batch sent again (a pipeline that failed part-way)
    assert click_queue.count_clicks([other]) == [3]  # the third: still within the limit
    assert click_queue.count_clicks([limited_click(4, "reader-c")]) == [0]  # the fourth is over it


def test_a_resent_click_over_the_limit_stays_refused_and_spends_nothing(queue):
    clicks = [limited_click(n, f"reader-{n}") for n in range(1, 5)]

    assert click_queue.count_clicks(clicks) == [1, 2, 3, 0]
    assert click_queue.count_clicks(clicks[3:]) == [0]
    assert int(queue.get(next(key for key in queue.keys(f"{click_queue.RATE_PREFIX}*")))) == 4


@pytest.mark.django_db(transaction=True)
def test_the_next_block_of_click_ids_is_reserved_ahead_so_the_loop_always_finds_one(wagtail_base_data, queue):
    block = click_ids._id_block  # the queue fixture's own, empty
    taken = [block._pop(blocking=True)]  # the first block: reserved by a follow in a thread
    for _ in range(3 * click_ids.ID_BLOCK):
        taken.append(block._pop(blocking=False))  # as on the event loop: MustBlock with no id at hand
        assert click_ids.wait_for_refills(timeout=10)  # a follow comes a moment later

    assert len(set(taken)) == len(taken) == 3 * click_ids.ID_BLOCK + 1
    assert len(block._ids) >= click_ids.REFILL_BELOW - 1


def test_a_block_running_low_while_the_reservation_fails_leaves_the_follow_its_fallback(monkeypatch, caplog):
    block = click_ids._IdBlock()
    block._ids.extend(range(1, click_ids.REFILL_BELOW + 1))
    attempts = []

    def redis_down(count):
        attempts.append(threading.current_thread().name)
        raise redis.ConnectionError("down")

    monkeypatch.setattr(click_ids, "_reserve_ids", redis_down)
    taken = []
    with pytest.raises(MustBlock):
        for _ in range(click_ids.REFILL_BELOW + 1):
            taken.append(block._pop(blocking=False))
            assert click_ids.wait_for_refills(timeout=10)
    assert taken == list(range(1, click_ids.REFILL_BELOW + 1))
    assert attempts == ["click-ids"] and not block._refilling  # one refill ahead tried, not one per follow
    assert [r.message for r in caplog.records if r.name == click_ids.__name__] == ["click ids not reserved ahead"]
    with pytest.raises(redis.ConnectionError):  # in a thread: the follow's own round trip, and its fallback
        block._pop(blocking=True)


def test_a_refill_ahead_is_tried_again_once_the_unavailable_time_has_passed(monkeypatch):
    block = click_ids._IdBlock()
    block._ids.extend(range(1, 10))
    outcomes = [redis.ConnectionError("down"), [101, 102]]

    def reserve(count):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(click_ids, "_reserve_ids", reserve)
    monkeypatch.setattr(click_ids._IdBlock, "UNAVAILABLE_SECONDS", 60)
    block._pop(blocking=False)
    assert click_ids.wait_for_refills(timeout=10) and outcomes == [[101, 102]]
    block._pop(blocking=False)  # within the unavailable time: none tried
    assert click_ids.wait_for_refills(timeout=10) and outcomes == [[101, 102]]
    block._retry_after = time.monotonic() - 1  # the unavailable time passed
    block._pop(blocking=False)
    assert click_ids.wait_for_refills(timeout=10) and outcomes == []
    assert list(block._ids)[-2:] == [101, 102]


@pytest.mark.django_db(transaction=True)
def test_refills_ahead_share_one_worker_thread_which_keeps_its_database_connection(wagtail_base_data, monkeypatch):
    from django.db import connection, connections

    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 60)  # production's reuse
    seen = []

    def reserve(count):
        connection.ensure_connection()
        seen.append((threading.current_thread(), connection.connection))
        return list(range(1000 * len(seen), 1000 * len(seen) + count))

    monkeypatch.setattr(click_ids, "_reserve_ids", reserve)
    block = click_ids._IdBlock()
    threads_before = threading.active_count()
    try:
        for _ in range(3):
            block._ids.clear()
            block._ids.append(1)
            block._pop(blocking=False)
            assert click_ids.wait_for_refills(timeout=10)
    finally:
        click_ids._refill_worker.submit(connections.close_all)  # the worker's connection, closed for the test
        assert click_ids.wait_for_refills(timeout=10)
    assert len(seen) == 3 and len({id(thread) for thread, _ in seen}) == 1 and seen[0][0].is_alive()
    assert seen[0][1] is seen[1][1] is seen[2][1]  # one login, not one a refill
    assert threading.active_count() <= threads_before + 1


@pytest.mark.parametrize("user_agent", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "FACEBOOKEXTERNALHIT/1.1",
    "WhatsApp/2.23", "Java/17.0.2", "Go-http-client/1.1", "curl/8.4.0", "   ", "",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0) Chrome/120 Safari/537.36", "Crawl\u00e9r", "\u212aspider", "Bo\u0165", "go-\u0125ttp",
    "Mozilla/5.0 (Linux; Android 14) Chrome/120 Mobile Safari/537.36 Telegram", "javaX/1",
])
def test_bots_are_told_apart_as_the_case_insensitive_pattern_tells_them(user_agent):
    assert is_bot(user_agent) == (not user_agent.strip() or bool(_BOT_PATTERN.search(user_agent)))


@pytest.mark.usefixtures("no_running_loop")
def test_a_hung_redis_fails_the_loops_send_within_the_read_timeout(settings, monkeypatch):
    listening = socket.create_server(("127.0.0.1", 0))  # a Redis that accepts and never answers
    held = []

    def accept_and_hang():
        while True:
            try:
                held.append(listening.accept()[0])
            except OSError:
                return

    settings.REDIS_URL = f"redis://127.0.0.1:{listening.getsockname()[1]}/0"
    monkeypatch.setattr(shared_redis, "READ_TIMEOUT_SECONDS", 0.3)

    async def send_timed():
        started = time.monotonic()
        with pytest.raises(click_queue.NotSent):  # no answer to the connection's handshake: the batch never left
            await click_queue.count_clicks_on_loop([limited_click(1, "reader-a")])
        return time.monotonic() - started

    accepting = threading.Thread(target=accept_and_hang, daemon=True)
    accepting.start()
    try:
        took = asyncio.run(send_timed())
    finally:
        listening.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept() (close() does not)
        listening.close()
        accepting.join(timeout=1)
        for connection in held:
            connection.close()
    assert not accepting.is_alive()

    assert 0.25 < took < 3


def test_the_buffers_batch_size_is_one_setting_for_its_threads_and_its_loops_sends(monkeypatch):
    from creators.services.click_buffer import ClickBuffer

    monkeypatch.setattr(ClickBuffer, "BATCH", 2)
    buffer = ClickBuffer(write_inline=lambda clicks: [0] * len(clicks))
    buffer._clicks = [(n, limited_click(n, f"reader-{n}")) for n in range(1, 6)]
    loop = asyncio.new_event_loop()
    try:
        loop_token = buffer._take_loop_batch(loop)  # the loop's send
    finally:
        loop.close()
    assert [sequence for sequence, _click in loop_token[1]] == [1, 2]
    assert len(buffer._clicks) == 3


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread made to die
def test_a_refill_worker_that_died_is_started_again_and_one_that_cannot_start_costs_the_follow_nothing(monkeypatch):
    worker = click_ids._RefillWorker()
    monkeypatch.setattr(click_ids, "_refill_worker", worker)
    ran = []

    def die():
        raise SystemExit  # a BaseException: the worker's thread ends
    worker.submit(die)
    worker._thread.join(timeout=10)
    assert not worker._thread.is_alive()
    worker.submit(lambda: ran.append("after"))
    assert worker.wait_idle(timeout=10) and ran == ["after"]  # a new thread took the job

    def no_thread(self):
        raise RuntimeError("can't start new thread")
    dead = click_ids._RefillWorker()
    monkeypatch.setattr(click_ids, "_refill_worker", dead)
    monkeypatch.setattr(click_ids.threading.Thread, "start", no_thread)
    block = click_ids._IdBlock()
    block._ids.extend(range(1, 10))
    assert block._pop(blocking=False) == 1  # the follow has its id
    assert not block._refilling and block._retry_after > 0 and dead._pending == 0


@pytest.mark.django_db
def test_a_lost_id_counter_starts_above_every_id_in_use_not_only_the_tables(queue):
    """Redis lost the counter (restarted without persistence, or the key evicted) while a queued click and a reserved
    id's alias survived: no id is handed out again, so no new click follows a stale alias. (The counter is the
    database-less path's: on PostgreSQL ids come from the table's sequence.)"""
    if connection.vendor == "postgresql":
        pytest.skip("ids come from the table's sequence, which is never lost")
    assert click_queue.count_clicks([limited_click(7, "reader-a")]) == [7]  # queued, not yet written
    assert click_queue.count_clicks([limited_click(9, "reader-a")]) == [7]  # a repeat: 9 left as an alias of 7
    queue.delete(click_ids.ID_COUNTER)

    assert click_ids._reserve_ids(3) == [10, 11, 12]
    assert click_queue.count_clicks([limited_click(10, "reader-b")]) == [10]  # a new reader's click counted as its own
