"""The spool replayer thread in a real app process: gunicorn serving ``settings.wsgi`` replays its machine's
click spool on its own, with no request made to it (the in-process tests call ``start_spool_replayer`` directly)."""

import os
import sys
import time
from pathlib import Path

import pytest

from creators.models import Click
from creators.services import click_spool
from tests.creators.test_click_spool import mug_clicks
from tests.support.servers import database_url, free_port, loopback_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_a_gunicorn_app_process_replays_the_spool_an_outage_left_without_any_request(
        wagtail_base_data, settings, tmp_path):
    spool = tmp_path / "spool"
    settings.KOLSHOP_CLICK_SPOOL_DIR = str(spool)
    click_spool.spool_clicks(mug_clicks(2, first_id=720_001))  # left by an app process during the outage
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env.update({"DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url(),
                "KOLSHOP_TEST_CLICK_SPOOL_DIR": str(spool)})  # no Redis: the replay writes the clicks inline
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "settings.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]

    with loopback_server(argv, port=port, log_path=tmp_path / "gunicorn.log", cwd=ROOT, seconds=60, env=env):
        deadline = time.monotonic() + 60
        while list(spool.glob("clicks-*.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = list(spool.glob("clicks-*.jsonl"))

    assert left == [], (tmp_path / "gunicorn.log").read_text()
    assert sorted(Click.objects.values_list("pk", "visitor_hash")) == [(720_001, "reader-0"), (720_002, "reader-1")]
