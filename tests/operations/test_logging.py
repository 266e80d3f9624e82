"""Structured logs: one request id follows a request into every log line, and comes back to the client."""

import io
import json
import logging
import logging.config

import pytest

from settings.log_config import logging_config
from tests.shop.helpers import WEBHOOK_SECRET, intent_object, post_webhook, signed_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """The production formatter on a buffer, for the duration of a test."""
    stream = io.StringIO()
    formatter_config = logging_config(level="INFO", json=True)["formatters"]["structured"]
    factory = formatter_config.pop("()")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(factory(**formatter_config))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        root.removeHandler(handler)


def test_every_response_carries_a_request_id(client):
    response = client.get("/api/v1/carts/unknown")

    assert len(response["X-Request-ID"]) == 32


def test_a_proxys_request_id_is_kept_and_a_malformed_one_replaced(client):
    kept = client.get("/api/v1/carts/unknown", HTTP_X_REQUEST_ID="lb-7f3a9c12-0001")
    replaced = client.get("/api/v1/carts/unknown", HTTP_X_REQUEST_ID="<script>alert(1)</script>")

    assert kept["X-Request-ID"] == "lb-7f3a9c12-0001"
    assert replaced["X-Request-ID"] != "<script>alert(1)</script>" and len(replaced["X-Request-ID"]) == 32


def test_log_lines_inside_a_request_carry_its_request_id(client, json_log, settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    payload, header = signed_event("payment_intent.succeeded", intent_object("pi_not_ours", amount=100),
                                   event_id="evt_not_ours")

    response = post_webhook(payload, header, client)

    lines = [line for line in json_log() if line["event"].startswith("Webhook payment_intent.succeeded")]
    assert response.status_code == 200
    assert len(lines) == 1
    assert lines[0]["request_id"] == response["X-Request-ID"]
    assert lines[0]["level"] == "info" and lines[0]["logger"] == "shop.payments.webhooks"
