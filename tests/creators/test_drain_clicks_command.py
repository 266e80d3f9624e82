"""The `clicks` process (``manage.py drain_clicks``) lets a short batch fill up before reading again: under load a
batch's read, INSERT, commit and acknowledgement are then shared by hundreds of clicks, not a few."""

import pytest
from django.core.management import call_command

from creators.management.commands import drain_clicks as command


class Stopped(Exception):
    """Ends the drainer's endless loop in a test."""


@pytest.fixture
def drainer(monkeypatch):
    """The command with its batches scripted (sizes in order, then a stop) and its sleeps recorded."""
    calls, sleeps = [], []

    def run(batches: list[int]) -> tuple[list[dict], list[float]]:
        planned = iter(batches)

        def drain(**options):
            calls.append(options)
            try:
                return next(planned)
            except StopIteration:
                raise Stopped from None

        monkeypatch.setattr(command, "queue_enabled", lambda: True)
        monkeypatch.setattr(command, "retire_dead_consumers", lambda **options: 0)
        monkeypatch.setattr(command, "drain_clicks", drain)
        monkeypatch.setattr(command.time, "sleep", sleeps.append)
        with pytest.raises(Stopped):
            call_command("drain_clicks", batch_size=500)
        return calls, sleeps

    return run


def test_after_a_short_batch_the_drainer_waits_before_reading_again_and_after_a_full_one_it_reads_at_once(drainer):
    calls, sleeps = drainer([3, 500, 0, 2])

    assert sleeps == [0.2, 0.2]  # after 3 and after 2; a full batch and an empty read (it blocked 1 s) go on
    assert [call["block_ms"] for call in calls] == [1000] * 5


def test_the_wait_can_be_turned_off(monkeypatch, drainer):
    monkeypatch.setattr(command, "LINGER_MS", 0)

    _calls, sleeps = drainer([3, 2])

    assert sleeps == []
