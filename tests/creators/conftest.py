"""Creator fixtures: a localstripe server that also knows Connect accounts and transfers."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def connect_stripe_url(tmp_path_factory):
    port = _free_port()
    workdir = tmp_path_factory.mktemp("localstripe-connect")
    log = open(workdir / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.localstripe_with_transfers", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"localstripe did not start: {(workdir / 'server.log').read_text()}")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


class FakeConnect:
    def __init__(self, base_url: str):
        self.base_url = base_url

    def _call(self, method: str, path: str, data: bytes | None = None) -> dict:
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={"Authorization": "Bearer sk_test_kolshop"})
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def create_account(self) -> str:
        return self._call("POST", "/v1/accounts", b"type=express")["id"]

    def transfers(self, *, transfer_group: str | None = None) -> list[dict]:
        data = self._call("GET", "/v1/transfers")["data"]
        return [t for t in data if transfer_group is None or t["transfer_group"] == transfer_group]


@pytest.fixture
def fake_connect(settings, connect_stripe_url):
    settings.STRIPE_SECRET_KEY = "sk_test_kolshop"
    settings.STRIPE_API_BASE = connect_stripe_url
    fake = FakeConnect(connect_stripe_url)
    fake._call("DELETE", "/_config/connect")
    return fake
