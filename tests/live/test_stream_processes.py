"""The SSE stream across real app processes: two ASGI servers (uvicorn, as the Procfile's web line) sharing
the database and Redis (cache and pub/sub). A viewer on process A hears a pin made through process B's
console; when A dies mid-stream and comes back, the viewer reconnects with ``Last-Event-ID`` and gets the
current state (what changed while it was gone), and a viewer already up to date gets no repeat."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client

from content.live.services import start_session
from tests.factories import make_creator
from tests.live.helpers import lipstick, make_session
from tests.support.servers import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]


class AppProcess:
    """``uvicorn settings.asgi:application`` on a fixed loopback port; killed and started again at will."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.port, self.env, self.log_path, self.process = free_port(), env, log_path, None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "settings.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--lifespan", "off", "--no-access-log"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"uvicorn did not start: {self.log_path.read_text()}")
                time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)


@contextmanager
def app_processes(count: int, *, env: dict[str, str], folder: Path):
    processes = [AppProcess(env, folder / f"app-{index}.log") for index in range(count)]
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.kill()


class EventStream:
    """A reader's EventSource, by hand: one HTTP connection, events read line by line."""

    def __init__(self, port: int, page_id: int, *, last_event_id: str | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.connection.request("GET", f"/api/live/{page_id}/events/?viewer=viewer-0001", headers=headers)
        self.response = self.connection.getresponse()
        assert (self.response.status, self.response.getheader("Content-Type")) == (200, "text/event-stream")

    def next_block(self, *, seconds: float) -> dict:
        """The next event or comment block (``{"retry": ...}``, ``{"id", "event", "data"}``)."""
        self.connection.sock.settimeout(seconds)
        fields = {}
        while True:
            line = self.response.readline()
            if not line:
                raise ConnectionError("the stream ended")
            line = line.decode().rstrip("\n")
            if not line:
                if fields:
                    return fields
                continue
            name, _, value = line.partition(": ")
            fields[name] = value

    def next_event(self, *, seconds: float = 5) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            block = self.next_block(seconds=max(deadline - time.monotonic(), 0.01))
            if block.get("event") == "state":
                return block

    def close(self) -> None:
        self.connection.close()


def _logged_in(user) -> str:
    """A logged-in admin session's id (sessions live in the database, shared by every process)."""
    test_client = Client()
    test_client.force_login(user)
    return test_client.cookies["sessionid"].value


def _console_post(port: int, page_id: int, action: str, session_id: str, form: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/admin/live/{page_id}/", headers={"Cookie": f"sessionid={session_id}"})
    page = connection.getresponse()
    body = page.read().decode()
    assert page.status == 200, body[:500]
    csrf_cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    connection.request("POST", f"/admin/live/{page_id}/{action}/", body=urlencode({**form, "csrfmiddlewaretoken": token}),
                       headers={"Cookie": f"sessionid={session_id}; csrftoken={csrf_cookie}",
                                "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


@pytest.mark.django_db(transaction=True)
def test_a_pin_through_process_b_reaches_a_viewer_on_process_a_who_resumes_after_a_restart(
        wagtail_base_data, redis_url, tmp_path, settings):
    settings.REDIS_URL = redis_url
    creator = make_creator("rex")
    first, second = lipstick("LIP-1"), lipstick("LIP-2")
    page = make_session(creator, products=[first, second])
    start_session(page)
    session_id = _logged_in(creator.user)
    shared = redis_url.rsplit("/", 1)[0]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url(),
           "REDIS_URL": redis_url, "CACHE_URL": f"{shared}/1",
           # Only a published change (or a deal's moment) may wake a stream within these tests' waits.
           "KOLSHOP_LIVE_POLL_SECONDS": "120", "KOLSHOP_LIVE_KEEPALIVE_SECONDS": "120"}

    with app_processes(2, env=env, folder=tmp_path) as (process_a, process_b):
        viewer = EventStream(process_a.port, page.pk)
        assert viewer.next_block(seconds=10) == {"retry": "2000"}
        on_air = viewer.next_event(seconds=10)

        pinned_at = time.monotonic()
        assert _console_post(process_b.port, page.pk, "pin", session_id, {"product": first.pk}) == 302
        pinned = viewer.next_event(seconds=5)
        latency = time.monotonic() - pinned_at

        process_a.kill()  # mid-stream: the viewer's connection drops
        with pytest.raises((ConnectionError, OSError, http.client.HTTPException)):
            viewer.next_block(seconds=5)
        viewer.close()
        assert _console_post(process_b.port, page.pk, "pin", session_id, {"product": second.pk}) == 302
        process_a.start()
        resumed = EventStream(process_a.port, page.pk, last_event_id=pinned["id"])
        assert resumed.next_block(seconds=10) == {"retry": "2000"}
        caught_up = resumed.next_event(seconds=5)
        resumed.close()

        current = EventStream(process_b.port, page.pk, last_event_id=caught_up["id"])
        assert current.next_block(seconds=10) == {"retry": "2000"}
        with pytest.raises(TimeoutError):
            current.next_event(seconds=1.5)  # up to date: no repeat
        current.close()

    assert int(on_air["id"]) < int(pinned["id"]) < int(caught_up["id"])
    assert '"pin": null' in on_air["data"] and '"sku": "LIP-1"' in pinned["data"]
    assert latency < 2  # the bound for a connected client (the bench measures p95)
    assert '"sku": "LIP-2"' in caught_up["data"]
