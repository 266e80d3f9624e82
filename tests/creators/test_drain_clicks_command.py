"""The `clicks` process (``manage.py drain_clicks``): after a batch short of --batch-size it waits before reading
again, so batches collect the clicks that arrive meanwhile instead of one transaction per few clicks."""

import pytest
from django.core.management import call_command

from creators.management.commands import drain_clicks as command


class _Stop(Exception):
    pass


@pytest.fixture
def drainer(monkeypatch):
    """The command's loop over a scripted sequence of batch sizes; returns the sleeps it took."""
    sleeps: list[float] = []

    def run(batches: list[int], *options: str) -> list[float]:
        remaining = iter(batches)

        def drain(**kwargs) -> int:
            try:
                return next(remaining)
            except StopIteration:
                raise _Stop from None

        monkeypatch.setattr(command, "queue_enabled", lambda: True)
        monkeypatch.setattr(command, "retire_dead_consumers", lambda **kwargs: 0)
        monkeypatch.setattr(command, "drain_clicks", drain)
        monkeypatch.setattr(command.time, "sleep", sleeps.append)
        with pytest.raises(_Stop):
            call_command("drain_clicks", "--batch-size", "500", *options)
        return sleeps

    return run


def test_a_short_batch_makes_the_drainer_linger_before_reading_again(drainer):
    assert drainer([3, 0, 120]) == [0.1, 0.1]


def test_a_full_batch_is_followed_by_the_next_read_at_once(drainer):
    assert drainer([500, 500, 499]) == [0.1]


def test_the_linger_is_an_option(drainer):
    assert drainer([3, 7], "--linger-ms", "250") == [0.25, 0.25]


def test_no_linger_reads_again_at_once(drainer):
    assert drainer([3, 7], "--linger-ms", "0") == []
