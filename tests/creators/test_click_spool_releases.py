"""Two releases share a machine's spool during a rolling deploy or a rollback: the release before
``QueuedClick.outcome_unknown`` (``click_spool`` and ``click_queue`` at ``PREVIOUS_RELEASE``, loaded from git as they
are) replays
this release's spool without dropping a click, and never sees the clicks Redis may have counted."""

import dataclasses
import logging
import os
import subprocess
import types
from pathlib import Path

import pytest

from creators.services import click_spool
from tests.creators.test_click_spool import mug_clicks

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS_RELEASE = "c4a0a26"  # the last commit before ``outcome_unknown`` (a fixed commit: main moves on)


def previous_release(name: str, **globals_) -> types.ModuleType:
    """The module ``creators/services/<name>.py`` as the previous release has it, ``globals_`` set over its imports."""
    source = subprocess.run(["git", "show", f"{PREVIOUS_RELEASE}:creators/services/{name}.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType(f"previous_{name}")
    exec(compile(source, module.__name__, "exec"), module.__dict__)  # noqa: S102 (our own code, from git)
    module.__dict__.update(globals_)
    return module


@pytest.mark.django_db
def test_the_previous_release_replays_this_releases_spool_dropping_nothing_and_never_sees_marked_clicks(
        settings, tmp_path, caplog):
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(tmp_path / "spool")
    old = previous_release("click_spool", QueuedClick=previous_release("click_queue").QueuedClick)
    clicks = mug_clicks(3, first_id=700_401)
    marked = dataclasses.replace(clicks[2], outcome_unknown=True)
    click_spool.spool_clicks([clicks[0], clicks[1], marked])
    handed = []

    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert old.replay_spooled_clicks(hand_on=handed.extend) == 2

    assert [click.click_id for click in handed] == [700_401, 700_402] and not caplog.records
    assert [path.name for path in (tmp_path / "spool").iterdir()] == [f"unknown-clicks-{os.getpid()}.jsonl"]
    assert click_spool.replay_spooled_clicks(hand_on=handed.extend) == 1  # this release's replayer: both names
    assert handed[2] == marked and not list((tmp_path / "spool").iterdir())


@pytest.mark.django_db
def test_a_spooled_line_this_release_cant_read_is_kept_aside_not_deleted_with_its_file(settings, tmp_path):
    spool = tmp_path / "spool"
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(spool)
    click_spool.spool_clicks(mug_clicks(1, first_id=700_411))
    [path] = spool.iterdir()
    later = b'{"click_id":700412,"a_field_of_a_later_release":1}'
    with path.open("ab") as file:
        file.write(later + b"\n")
    handed = []

    assert click_spool.replay_spooled_clicks(hand_on=handed.extend) == 1

    assert [click.click_id for click in handed] == [700_411]
    assert [kept.name for kept in spool.iterdir()] == [path.name + ".unreadable"]
    assert (spool / (path.name + ".unreadable")).read_bytes() == later + b"\n"

