"""Redis and the database both down: a group-commit batch is fsync'd to this process's spool file before its
redirects go (creators.services.click_spool), survives a SIGKILL of the process, and is replayed by another
process once the database (or Redis) is back, each click once however often it is replayed."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import IntegrityError
from django.utils import timezone

from creators.models import Click, LinkTarget
from creators.services import click_buffer, click_queue, click_spool
from creators.services.links import _write_buffered_inline, create_tracked_link, replay_spooled_clicks
from tests.creators.test_clicks_redis_down import take_redis_down
from tests.factories import make_creator, make_product

pytestmark = pytest.mark.django_db

CHILD = """
import json, os, signal, sys
import django
django.setup()
from django.conf import settings
from django.db.utils import OperationalError
settings.KOLSHOP_CLICK_SPOOL_DIR, settings.REDIS_URL = sys.argv[1], sys.argv[2]
settings.KOLSHOP_CLICK_ACK_WAIT_MS = 50
from creators.services import click_buffer, click_queue

def database_down(clicks):
    raise OperationalError("could not connect to server")

buffer = click_buffer.ClickBuffer(write_inline=database_down)
for fields in json.loads(sys.stdin.read()):
    click = click_queue.QueuedClick(**{**fields, "visitor_candidates": tuple(fields["visitor_candidates"])})
    print(buffer.add(click), flush=True)  # the id the redirect would carry: the click is on disk by now
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def spool(settings, tmp_path) -> Path:
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 50
    take_redis_down(settings)
    return tmp_path / "spool"


def mug_clicks(count: int, *, first_id: int) -> list[click_queue.QueuedClick]:
    link = create_tracked_link(make_creator("anna"), target_kind=LinkTarget.PRODUCT,
                               product=make_product(variants=[("MUG-1", "12.00", 3)]), code="mug-anna")
    now = timezone.now()
    return [click_queue.QueuedClick.of(
        {"link_id": link.pk, "creator_id": link.creator_id, "page_id": None, "block_id": "", "product_id":
         link.product_id, "clicked_at": now - timedelta(seconds=number), "visitor_hash": f"reader-{number}",
         "referrer": "", "ua_class": "mobile"},
        click_id=first_id + number, visitor_candidates=(f"reader-{number}", f"reader-{number}"), window_seconds=3600,
        lock_name=f"reader-{number}") for number in range(count)]


def database_down(clicks):
    raise RuntimeError("database unavailable")


def test_a_batch_neither_redis_nor_the_database_took_is_spooled_and_each_redirect_carries_its_own_id(spool):
    clicks = mug_clicks(2, first_id=700_001)
    buffer = click_buffer.ClickBuffer(write_inline=database_down)

    carried = [buffer.add(click) for click in clicks]

    [spooled] = list(spool.glob("clicks-*.jsonl"))
    assert carried == [700_001, 700_002]
    assert (spooled.name, buffer.pending(), Click.objects.count()) == (f"clicks-{os.getpid()}.jsonl", 0, 0)
    assert [json.loads(line)["click_id"] for line in spooled.read_text().splitlines() if line] == [700_001, 700_002]


def test_a_process_killed_with_a_spooled_batch_loses_none_of_it_and_a_replay_writes_each_click_once(spool):
    clicks = mug_clicks(3, first_id=700_101)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(spool), django_settings.REDIS_URL],
        input=json.dumps([dataclasses.asdict(click) for click in clicks]), capture_output=True, text=True,
        cwd=django_settings.BASE_DIR, env={**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test"}, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.split() == ["700101", "700102", "700103"]
    [spooled] = list(spool.glob("clicks-*.jsonl"))

    replayed = replay_spooled_clicks()  # this process, the database back (Redis still down: written inline)
    spooled.write_bytes(b"".join(click_spool._encode(click) for click in clicks) + b'{"click_id": 7')
    again = replay_spooled_clicks()  # as if a replay was killed before removing the file, mid-write of a line

    assert (replayed, again) == (3, 3)
    assert sorted(Click.objects.values_list("pk", "visitor_hash")) == [
        (700_101, "reader-0"), (700_102, "reader-1"), (700_103, "reader-2")]
    assert list(spool.glob("clicks-*.jsonl")) == []


def test_a_successful_send_replays_what_an_outage_spooled(spool):
    clicks = mug_clicks(2, first_id=700_201)
    buffer = click_buffer.ClickBuffer(write_inline=database_down)
    buffer.add(clicks[0])  # spooled
    buffer._write_inline = _write_buffered_inline  # the database is back (Redis still down)

    assert buffer.add(clicks[1]) == 700_202
    assert sorted(Click.objects.values_list("pk", flat=True)) == [700_201, 700_202]
    assert list(spool.glob("clicks-*.jsonl")) == []


def test_with_no_spool_directory_the_batch_stays_buffered_and_the_request_fails(settings):
    settings.KOLSHOP_CLICK_SPOOL_DIR = ""
    take_redis_down(settings)
    buffer = click_buffer.ClickBuffer(write_inline=database_down)

    with pytest.raises(RuntimeError, match="database unavailable"):
        buffer.add(mug_clicks(1, first_id=700_301)[0])
    assert buffer.pending() == 1
    buffer._write_inline = _write_buffered_inline  # the database back: the kept batch goes in (none left at exit)
    assert (buffer.flush(), list(Click.objects.values_list("pk", flat=True))) == (1, [700_301])


def test_a_batch_spooled_after_a_line_left_cut_short_is_replayed_whole(spool):
    clicks = mug_clicks(2, first_id=700_401)
    spool.mkdir(parents=True)
    (spool / f"clicks-{os.getpid()}.jsonl").write_bytes(b'{"click_id": 7')  # an earlier process with this pid, killed

    click_spool.spool_clicks(clicks)

    assert replay_spooled_clicks() == 2
    assert sorted(Click.objects.values_list("pk", flat=True)) == [700_401, 700_402]


def test_a_click_refused_on_replay_or_unreadable_is_dropped_and_blocks_neither_its_file_nor_the_next(spool):
    clicks = mug_clicks(3, first_id=700_501)
    spool.mkdir(parents=True)
    gone = dataclasses.replace(clicks[1], link_id=999_999,  # its link deleted since
                               payload=json.dumps({**json.loads(clicks[1].payload), "link_id": 999_999}))
    (spool / "clicks-1.jsonl").write_bytes(
        b"".join(click_spool._encode(click) for click in (clicks[0], gone)) + b'{"click_id": 5}\n')
    (spool / "clicks-2.jsonl").write_bytes(click_spool._encode(clicks[2]))

    def hand_on(batch):  # the database refuses a click of a deleted link (its foreign key, at the commit)
        if any(click.link_id == 999_999 for click in batch):
            raise IntegrityError("creators_click.link_id: no such tracked link")
        _write_buffered_inline(batch)

    assert click_spool.replay_spooled_clicks(hand_on=hand_on) == 3

    assert sorted(Click.objects.values_list("pk", flat=True)) == [700_501, 700_503]
    assert list(spool.glob("clicks-*.jsonl")) == []
