"""What the click path no longer pays for, with the same answers: a resent click decided before spends none of its
client's limit again, the loop finds a click id at hand at a block's end, bots are told apart without a
case-folding regex, and the loop's Redis calls are bounded by one timer."""

import asyncio
import socket
import threading
import time

import pytest
import redis

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
        deadline = time.monotonic() + 10
        while block._refilling and time.monotonic() < deadline:  # a follow comes a moment later
            time.sleep(0.001)

    assert len(set(taken)) == len(taken) == 3 * click_ids.ID_BLOCK + 1
    assert len(block._ids) >= click_ids.REFILL_BELOW - 1


def test_a_block_running_low_while_the_reservation_fails_leaves_the_follow_its_fallback(monkeypatch):
    block = click_ids._IdBlock()
    block._ids.extend(range(1, click_ids.REFILL_BELOW + 1))

    def redis_down(count):
        raise redis.ConnectionError("down")

    monkeypatch.setattr(click_ids, "_reserve_ids", redis_down)
    taken = []
    with pytest.raises(MustBlock):
        for _ in range(click_ids.REFILL_BELOW + 1):
            taken.append(block._pop(blocking=False))
            deadline = time.monotonic() + 10
            while block._refilling and time.monotonic() < deadline:
                time.sleep(0.001)
    with pytest.raises(redis.ConnectionError):  # in a thread: the follow's own round trip, and its fallback
        block._pop(blocking=True)
    assert taken == list(range(1, click_ids.REFILL_BELOW + 1))


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

    threading.Thread(target=accept_and_hang, daemon=True).start()
    settings.REDIS_URL = f"redis://127.0.0.1:{listening.getsockname()[1]}/0"
    monkeypatch.setattr(shared_redis, "READ_TIMEOUT_SECONDS", 0.3)

    async def send_timed():
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            await click_queue.count_clicks_on_loop([limited_click(1, "reader-a")])
        return time.monotonic() - started

    try:
        took = asyncio.run(send_timed())
    finally:
        listening.close()
        for connection in held:
            connection.close()

    assert 0.25 < took < 3
