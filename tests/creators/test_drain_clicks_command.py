"""The `clicks` process (``manage.py drain_clicks``) lets a short batch fill up before reading again: under load a
batch's read, INSERT, commit and acknowledgement are then shared by hundreds of clicks, not a few."""

import time
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from creators.management.commands import drain_clicks as command


class Stopped(Exception):
    """Ends the drainer's endless loop in a test."""


@pytest.fixture
def drainer(monkeypatch):
    """The command run with ``argv``, its batches scripted (sizes in order, then a stop); returns its reads (the
    options of each) and the drainer's reads and waits in the order they happened. Only the command's own clock is
    replaced: its sleeps are recorded, nothing else in the process stops sleeping. No database is touched, so the
    tests run after database tests too (the connection check is the command's own name, replaced)."""

    def run(batches: list[int], *argv: str) -> tuple[list[dict], list[tuple[str, float]]]:
        planned, calls, events = iter(batches), [], []

        def drain(**options):
            calls.append(options)
            try:
                size = next(planned)
            except StopIteration:
                raise Stopped from None
            events.append(("read", size))
            return size

        monkeypatch.setattr(command, "queue_enabled", lambda: True)
        monkeypatch.setattr(command, "close_old_connections", lambda: None)  # no database here: only the waits
        monkeypatch.setattr(command, "retire_dead_consumers", lambda **options: 0)
        monkeypatch.setattr(command, "drain_clicks", drain)
        monkeypatch.setattr(command, "time", SimpleNamespace(
            monotonic=time.monotonic, sleep=lambda seconds: events.append(("wait", seconds))))
        with pytest.raises(Stopped):
            call_command("drain_clicks", "--batch-size", "500", *argv)
        return calls, events

    return run


def test_after_a_short_batch_the_drainer_waits_before_reading_again_and_after_a_full_one_it_reads_at_once(drainer):
    calls, events = drainer([3, 500, 0, 2])

    # after 3 and after 2 it waits the default 200 ms; a full batch and an empty read (it blocked 1 s) go on
    assert events == [("read", 3), ("wait", 0.2), ("read", 500), ("read", 0), ("read", 2), ("wait", 0.2)]
    assert [call["block_ms"] for call in calls] == [1000] * 5


def test_linger_ms_sets_the_wait_after_a_short_batch_and_none_after_a_full_one(drainer):
    _calls, events = drainer([3, 500, 499], "--linger-ms", "50")

    assert events == [("read", 3), ("wait", 0.05), ("read", 500), ("read", 499), ("wait", 0.05)]


def test_linger_ms_0_turns_the_wait_off(drainer):
    _calls, events = drainer([3, 500, 2], "--linger-ms", "0")

    assert events == [("read", 3), ("read", 500), ("read", 2)]
