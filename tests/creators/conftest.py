"""Creator fixtures: a localstripe server that also knows Connect accounts and transfers."""

import json
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from creators.services import click_buffer, click_queue
from tests.support.servers import free_port, loopback_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def connect_stripe_url(tmp_path_factory):
    """localstripe extended with Connect accounts and transfers, on a free loopback port."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("localstripe-connect")
    argv = [sys.executable, "-m", "tests.support.localstripe_with_transfers", str(port)]
    with loopback_server(argv, port=port, log_path=workdir / "server.log", cwd=ROOT) as url:
        yield url


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


@pytest.fixture
def queue(settings, redis_url, monkeypatch) -> Iterator[redis.Redis]:
    """An empty click queue in the test Redis, no click ids reserved from an earlier test, and a click
    buffer of the test's own (flushed at the end, so no click reaches the next test's queue)."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    settings.REDIS_URL = redis_url
    monkeypatch.setattr(click_queue, "_id_block", click_queue._IdBlock())
    monkeypatch.setattr(click_buffer, "_buffer", None)
    yield client
    click_buffer.flush_clicks()
