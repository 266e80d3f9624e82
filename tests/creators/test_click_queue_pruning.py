"""The click stream stays small: acknowledged entries leave it, entries still pending stay, and drainers
that died leave the consumer group only after their pending clicks were written (real Redis)."""

import pytest

from creators.models import Click, LinkTarget
from creators.services import click_drain, click_queue
from creators.services.links import create_tracked_link, record_click
from tests.factories import make_creator

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
STREAM, GROUP = click_queue.STREAM, click_queue.GROUP


def _queue_clicks(count: int) -> set[int]:
    link = create_tracked_link(make_creator("anna"), target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    return {record_click(link, ip=f"198.51.100.{n}", user_agent=PHONE).pk for n in range(1, count + 1)}


def _read_without_acknowledging(queue, consumer: str, count: int) -> list[bytes]:
    """What a drainer that dies after reading leaves behind: entries pending for it."""
    click_drain._ensure_group(queue)
    [(_stream, entries)] = queue.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=count)
    return [entry_id for entry_id, _fields in entries]


def _consumers(queue) -> dict[str, int]:
    return {info["name"].decode(): info["pending"] for info in queue.xinfo_consumers(STREAM, GROUP)}


@pytest.mark.django_db
def test_each_written_batch_leaves_the_stream_and_nothing_is_left_after_the_drain(queue):
    reserved = _queue_clicks(30)

    first = click_drain.drain_clicks(consumer="drainer-1", batch_size=10, reclaim=False)
    length_after_first = queue.xlen(STREAM)
    rest = click_drain.drain_all_clicks(consumer="drainer-1", batch_size=10)

    assert (first, length_after_first, rest) == (10, 20, 20)
    assert queue.xlen(STREAM) == 0
    assert set(Click.objects.values_list("pk", flat=True)) == reserved
    assert click_drain.queued_click_count() == 0


@pytest.mark.django_db
def test_entries_pending_for_a_dead_drainer_stay_in_the_stream_until_they_are_written(queue):
    reserved = _queue_clicks(12)
    left_pending = _read_without_acknowledging(queue, "dead-drainer", 5)

    written = click_drain.drain_clicks(consumer="drainer-2", batch_size=100, reclaim=False)
    kept = [entry_id for entry_id, _fields in queue.xrange(STREAM)]
    trimmed_again = click_drain.trim_acknowledged()

    assert written == 7
    assert kept == left_pending  # the 7 written went; the 5 pending stayed, in order
    assert trimmed_again == 0
    assert Click.objects.count() == 7 and click_drain.queued_click_count() == 5
    assert click_drain.drain_all_clicks(consumer="drainer-2", reclaim_idle_ms=0) == 5
    assert set(Click.objects.values_list("pk", flat=True)) == reserved
    assert queue.xlen(STREAM) == 0


@pytest.mark.django_db
def test_a_dead_drainer_is_retired_only_after_its_pending_clicks_are_written(queue):
    reserved = _queue_clicks(9)
    _read_without_acknowledging(queue, "dead-drainer", 4)
    assert click_drain.drain_clicks(consumer="live-drainer", batch_size=100, reclaim=False) == 5
    queue.xgroup_createconsumer(STREAM, GROUP, "idle-drainer")  # a drainer that never got an entry

    consumers_before = _consumers(queue)
    written = click_drain.retire_dead_consumers(consumer="live-drainer", idle_ms=0)

    assert consumers_before == {"dead-drainer": 4, "idle-drainer": 0, "live-drainer": 0}
    assert written == 4
    assert _consumers(queue) == {"live-drainer": 0}
    assert set(Click.objects.values_list("pk", flat=True)) == reserved and Click.objects.count() == 9
    assert queue.xpending(STREAM, GROUP)["pending"] == 0
    assert queue.xlen(STREAM) == 0 and click_drain.queued_click_count() == 0


@pytest.mark.django_db
def test_a_drainer_that_read_recently_is_kept_with_its_pending_clicks(queue):
    _queue_clicks(6)
    left_pending = _read_without_acknowledging(queue, "busy-drainer", 3)

    written = click_drain.retire_dead_consumers(consumer="live-drainer", idle_ms=60_000)

    assert written == 0
    assert _consumers(queue) == {"busy-drainer": 3}
    assert [entry["message_id"] for entry in queue.xpending_range(STREAM, GROUP, min="-", max="+", count=10)] == \
        left_pending
    assert Click.objects.count() == 0
