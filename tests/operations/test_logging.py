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


def test_a_purchase_and_refund_log_the_order_number_and_never_the_buyer(client, json_log, settings):
    from shop.services.refunds import refund_order
    from shop.models import Order
    from tests.shop.helpers import variant_with_stock

    settings.KOLSHOP_SHIPPING_RATES = "US:5.00"
    variant_with_stock("LOG-1", price="20.00", on_hand=5)
    buyer = {"email": "secret.buyer@example.com", "name": "Zed Secretname", "line1": "77 Hiddenway",
             "city": "Privateville", "postal_code": "90210"}

    token = client.post("/api/v1/carts/", "{}", content_type="application/json").json()["token"]
    client.post(f"/api/v1/carts/{token}/lines", {"sku": "LOG-1", "quantity": 2}, content_type="application/json")
    placed = client.post(f"/api/v1/carts/{token}/checkout", {
        "email": buyer["email"], "fulfilment": "shipping",
        "address": {"name": buyer["name"], "line1": buyer["line1"], "city": buyer["city"],
                    "postal_code": buyer["postal_code"], "country": "US"},
    }, content_type="application/json").json()
    number = placed["order"]["number"]
    paid = client.post(f"/api/v1/orders/{number}/pay", "{}", content_type="application/json",
                       headers={"X-Order-Secret": placed["order_secret"]})
    assert paid.json()["status"] == "paid"
    refund_order(Order.objects.get(number=number), restock=True)

    lines = json_log()
    events = [(line.get("order_event"), line.get("status_after")) for line in lines if line.get("order_number") == number]
    assert ("placed", "pending") in events and ("paid", "paid") in events and ("refunded", "refunded") in events
    assert all(line.get("request_id") for line in lines if line.get("order_event") in ("placed", "paid"))
    text = json.dumps(lines)
    for personal in buyer.values():
        assert personal not in text
