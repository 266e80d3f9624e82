"""Viewer counts add up across app processes: two ASGI servers (uvicorn) share Redis, viewers connect to
either (SSE streams and polling heartbeats), one viewer on both; the counts each stream shows, the live
report and the figures kept when the session ends (through the other process's console) count each viewer
once."""

import http.client
import json
import os
from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from content.live.models import LiveSession
from content.live.reports import session_report
from content.live.services import start_session
from settings.env import cache_settings
from tests.factories import make_creator
from tests.live.helpers import lipstick, make_session
from tests.live.test_stream_processes import _console_post, _logged_in, app_processes
from tests.support.servers import database_url


def _watch(port: int, page_id: int, viewer: str) -> tuple[http.client.HTTPConnection, dict]:
    """An EventSource reader connecting as ``viewer``; returns the connection and its first state."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", f"/api/live/{page_id}/events/?viewer={viewer}", headers={"Accept": "text/event-stream"})
    response = connection.getresponse()
    assert response.status == 200
    while True:
        line = response.readline().decode()
        if line.startswith("data: "):
            return connection, json.loads(line[len("data: "):])


def _beat(port: int, page_id: int, viewer: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", f"/api/live/{page_id}/heartbeat/", body=urlencode({"viewer": viewer}),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.mark.django_db(transaction=True)
def test_viewers_on_two_processes_are_counted_once_each_in_the_state_the_report_and_the_ended_session(
        wagtail_base_data, redis_url, tmp_path, settings):
    shared = redis_url.rsplit("/", 1)[0]
    settings.REDIS_URL = redis_url
    settings.CACHES = cache_settings(f"{shared}/1")  # this process reads the counts the servers write
    settings.KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS = 3600  # one window for the whole test
    cache.clear()
    creator = make_creator("rex")
    page = make_session(creator, products=[lipstick("LIP-1")])
    start_session(page)
    session_id = _logged_in(creator.user)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url(),
           "REDIS_URL": redis_url, "CACHE_URL": f"{shared}/1", "KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS": "3600",
           "KOLSHOP_LIVE_POLL_SECONDS": "120", "KOLSHOP_LIVE_KEEPALIVE_SECONDS": "120"}

    with app_processes(2, env=env, folder=tmp_path) as (process_a, process_b):
        streams, shown = [], []
        for process, viewer in ((process_a, "viewer-on-a-1"), (process_a, "viewer-on-a-2"),
                                (process_b, "viewer-on-b-1")):
            connection, first = _watch(process.port, page.pk, viewer)
            streams.append(connection)
            shown.append(first["viewers"])
        beats = [_beat(process_b.port, page.pk, "viewer-on-a-1"),  # the same viewer on the other process
                 _beat(process_a.port, page.pk, "viewer-polling")]
        while_live = session_report(page).viewers
        ended = _console_post(process_b.port, page.pk, "end", session_id, {})
        for connection in streams:
            connection.close()

    session = LiveSession.objects.get(page=page)
    assert shown == [1, 2, 3]  # each stream's first state counts the viewers of both processes
    assert beats == [204, 204] and ended == 302
    assert (while_live.peak, while_live.unique) == (4, 4)
    assert (session.peak_viewers, session.unique_viewers) == (4, 4)
    assert (session_report(page).viewers.peak, session_report(page).viewers.unique) == (4, 4)
