"""Shop fixtures: an API client, stock helpers, Stripe signing and a localstripe server."""

import json
import sys
from pathlib import Path

import pytest
import stripe
from django.db import connection

from tests.conftest import WEBHOOK_SECRET  # noqa: F401  (imported from here by the shop tests)
from tests.support.localstripe_config import configure_localstripe
from tests.support.servers import free_port, loopback_server


def skip_unless_postgres() -> None:
    """Real-thread tests need row locks; SQLite has none, so they only run on PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and concurrent transactions)")


@pytest.fixture
def api(client):
    """A JSON client for /api/v1/."""

    class Api:
        def get(self, path, **headers):
            return client.get(f"/api/v1{path}", headers=headers)

        def post(self, path, payload=None, **headers):
            return client.post(f"/api/v1{path}", json.dumps(payload or {}), content_type="application/json",
                               headers=headers)

        def patch(self, path, payload, **headers):
            return client.patch(f"/api/v1{path}", json.dumps(payload), content_type="application/json",
                                headers=headers)

        def delete(self, path, **headers):
            return client.delete(f"/api/v1{path}", headers=headers)

    return Api()


@pytest.fixture
def dummy_gateway(settings):
    settings.KOLSHOP_PAYMENT_GATEWAY = "dummy"


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """localstripe (a stateful fake Stripe) with the project's extension (card holds like Stripe's, Connect)
    on a free loopback port for the whole session."""
    port = free_port()
    workdir: Path = tmp_path_factory.mktemp("localstripe")
    argv = [sys.executable, "-m", "tests.support.localstripe_with_transfers", str(port)]
    with loopback_server(argv, port=port, log_path=workdir / "localstripe.log", cwd=ROOT) as url:
        yield url


@pytest.fixture
def stripe_settings(shop_settings, localstripe_url):
    shop_settings.KOLSHOP_PAYMENT_GATEWAY = "stripe"
    shop_settings.STRIPE_SECRET_KEY = "sk_test_kolshop"
    shop_settings.STRIPE_PUBLISHABLE_KEY = "pk_test_kolshop"
    shop_settings.STRIPE_API_BASE = localstripe_url
    return shop_settings


@pytest.fixture
def sdk(stripe_settings):
    """Stripe's own SDK against localstripe: what the buyer's browser (Stripe.js) and Stripe's dashboard do."""
    return stripe.StripeClient("sk_test_kolshop", base_addresses={"api": stripe_settings.STRIPE_API_BASE},
                               max_network_retries=0)


@pytest.fixture
def fake_stripe(shop_settings, monkeypatch):
    """Stripe selected, and every Stripe call (checkout, cancel, refund) goes to a FakeStripeGateway."""
    from tests.shop.helpers import FakeStripeGateway

    gateway = FakeStripeGateway()
    shop_settings.KOLSHOP_PAYMENT_GATEWAY = "stripe"
    monkeypatch.setattr("shop.payments.stripe_api.StripeGateway", lambda: gateway)
    return gateway


@pytest.fixture
def deferred_tasks(settings):
    """A task backend that keeps enqueued tasks (with their run_after) instead of running them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    default_task_backend.clear()
    return default_task_backend


@pytest.fixture
def localstripe_webhooks(localstripe_url, live_server):
    """``deliver(events)``: localstripe posts those events, signed, to this test's live server. When the test
    ends the endpoint is unregistered and every delivery already under way is waited for, so none reaches the
    (session-wide) live server during a later test or while the database is flushed."""
    import time

    def call(method: str, path: str, payload: dict | None = None) -> dict:
        return configure_localstripe(localstripe_url, method, path, payload)

    def deliver(events: list[str]):
        call("POST", "/_config/webhooks/kolshop", {"url": f"{live_server.url}/webhooks/stripe/",
                                                   "secret": WEBHOOK_SECRET, "events": events})
        return live_server

    yield deliver
    call("DELETE", "/_config/webhooks/kolshop")
    deadline = time.monotonic() + 30
    while call("GET", "/_config/deliveries")["in_flight"]:
        assert time.monotonic() < deadline, "localstripe's webhook deliveries did not finish"
        time.sleep(0.05)
