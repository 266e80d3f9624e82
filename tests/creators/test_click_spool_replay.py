"""A click spool left by a Redis and database outage is handed on without a human once the way in is back:
through the click queue when Redis is back (the drainer then writes each click once, however often the file
was replayed), and by a thread in every app process, traffic or not (the spool is local to its machine;
the scheduler may run elsewhere)."""

import time
from dataclasses import replace

import pytest
import redis

from creators.models import Click
from creators.services import click_drain, click_queue, click_spool
from creators.services.links import replay_spooled_clicks, start_spool_replayer
from operations.process_loops import running_loops
from tests.creators.test_click_spool import mug_clicks
from tests.creators.test_clicks_redis_down import take_redis_down


@pytest.fixture
def spool_dir(settings, tmp_path, monkeypatch):
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    return tmp_path / "spool"


@pytest.mark.django_db
def test_a_spool_replayed_with_redis_back_goes_through_the_queue_and_the_drainer_writes_each_click_once(
        spool_dir, queue):
    clicks = mug_clicks(3, first_id=710_001)
    click_spool.spool_clicks(clicks)  # during the outage: neither Redis nor the database took the batch
    [spooled] = list(spool_dir.glob("clicks-*.jsonl"))
    kept = spooled.read_bytes()

    replayed = replay_spooled_clicks()  # Redis back: into the queue, not inline
    queued = queue.xlen(click_queue.STREAM)
    written_before_drain = Click.objects.count()
    drained = click_drain.drain_all_clicks()
    spooled.write_bytes(kept)  # a replay killed after handing on, before removing the file: handed on again
    again = replay_spooled_clicks()
    drained_again = click_drain.drain_all_clicks()

    assert (replayed, queued, written_before_drain, drained) == (3, 3, 0, 3)
    assert (again, drained_again) == (3, 0)  # the queue knows the ids: nothing new to write
    assert sorted(Click.objects.values_list("pk", "visitor_hash")) == [
        (710_001, "reader-0"), (710_002, "reader-1"), (710_003, "reader-2")]
    assert list(spool_dir.glob("clicks-*.jsonl")) == []


@pytest.mark.django_db(transaction=True)
def test_every_app_process_replays_its_machines_spool_in_a_thread_without_traffic(
        spool_dir, settings, monkeypatch, wagtail_base_data):
    monkeypatch.setattr(click_spool, "REPLAY_SECONDS", 0.05)
    take_redis_down(settings)  # Redis still down: the database is back, so the replay writes inline
    clicks = mug_clicks(2, first_id=710_101)
    click_spool.spool_clicks(clicks)

    stop = start_spool_replayer()  # what settings.asgi (lifespan start-up) and settings.wsgi call
    try:
        deadline = time.monotonic() + 30
        while list(spool_dir.glob("clicks-*.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.05)
            same = start_spool_replayer() is stop
    finally:
        stop.set()

    assert same
    assert list(spool_dir.glob("clicks-*.jsonl")) == []
    assert sorted(Click.objects.values_list("pk", flat=True)) == [710_101, 710_102]


def test_without_a_spool_directory_no_replayer_starts(settings, monkeypatch):
    settings.KOLSHOP_CLICK_SPOOL_DIR = ""

    started = start_spool_replayer()

    assert started is None
    assert "click-spool-replayer" not in running_loops()


@pytest.mark.django_db
def test_a_spool_file_failing_with_a_database_error_leaves_it_for_the_next_pass_and_the_others_go_on(
        spool_dir, caplog):
    from django.db import OperationalError

    clicks = mug_clicks(3, first_id=710_201)
    spool_dir.mkdir(parents=True)
    for number, click in enumerate(clicks):  # three processes' files (spool_clicks names them by pid)
        (spool_dir / f"clicks-{number + 1}.jsonl").write_bytes(click_spool._encode(click))
    handed_on = []

    def deadlocks_on_the_first_file(batch):
        if batch[0].click_id == 710_201:
            raise OperationalError("deadlock detected")
        handed_on.extend(click.click_id for click in batch)

    with pytest.raises(OperationalError):
        click_spool.replay_spooled_clicks(hand_on=deadlocks_on_the_first_file)
    left = sorted(path.name for path in spool_dir.glob("clicks-*.jsonl"))
    next_pass = click_spool.replay_spooled_clicks(hand_on=lambda batch: handed_on.extend(c.click_id for c in batch))

    assert handed_on == [710_202, 710_203, 710_201]
    assert left == ["clicks-1.jsonl"]
    assert next_pass == 1
    assert list(spool_dir.glob("clicks-*.jsonl")) == []
    assert "replaying spool file clicks-1.jsonl failed (OperationalError); left for the next pass" in caplog.text


@pytest.mark.django_db
def test_a_process_with_no_click_queue_configured_replays_its_spool_inline(spool_dir, settings):
    settings.REDIS_URL = ""  # a process restarted without Redis: the queue's outage error, not an AttributeError
    *spooled, another = mug_clicks(3, first_id=720_001)
    click_spool.spool_clicks(spooled)

    with pytest.raises(redis.ConnectionError):
        click_queue.count_clicks([another])
    replayed = replay_spooled_clicks()

    assert replayed == 2
    assert sorted(Click.objects.values_list("pk", "visitor_hash")) == [(720_001, "reader-0"), (720_002, "reader-1")]
    assert list(spool_dir.glob("clicks-*.jsonl")) == []


@pytest.mark.django_db
def test_the_spools_log_says_why_each_part_of_a_batch_was_spooled(spool_dir, caplog):
    """Clicks Redis may have counted (sent, no answer) are spooled with both ways in up: the log says so, and
    says "database unavailable" only of the clicks neither Redis nor the database took."""
    *unavailable, unanswered = mug_clicks(3, first_id=710_301)
    unanswered = [replace(unanswered, outcome_unknown=True)]

    with caplog.at_level("WARNING", logger=click_spool.logger.name):
        click_spool.spool_clicks([*unavailable, *unanswered])

    assert [record.getMessage().replace(str(spool_dir), "<spool>") for record in caplog.records] == [
        "click queue did not answer: 1 clicks it may have counted spooled to <spool>",
        "click queue and database unavailable: 2 clicks spooled to <spool>"]
