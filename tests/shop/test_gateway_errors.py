"""A payment gateway that is down or refuses: the buyer sees one generic message, staff get the detail in the log."""

import logging

import pytest
from django.test import Client

from shop.models import Order, OrderStatus, Payment
from tests.shop.helpers import on_hand, variant_with_stock
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db

UNAVAILABLE = "The payment service is unavailable; try again."
ADDRESS = {"name": "Ada Reader", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
           "country": "US"}


@pytest.fixture
def stripe_down(shop_settings):
    """Stripe selected, its API on a loopback port nobody listens on (connection refused)."""
    shop_settings.KOLSHOP_PAYMENT_GATEWAY = "stripe"
    shop_settings.STRIPE_SECRET_KEY = "sk_test_kolshop_secret_key_123"
    shop_settings.STRIPE_PUBLISHABLE_KEY = "pk_test_kolshop"
    shop_settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    return shop_settings


def _leaks(text: str, settings) -> list[str]:
    port = settings.STRIPE_API_BASE.rsplit(":", 1)[1]
    needles = ["127.0.0.1", "localhost", "http", port, "sk_test", settings.STRIPE_SECRET_KEY]
    return [needle for needle in needles if needle in text]


def test_checkout_through_the_api_with_stripe_down_answers_a_generic_error(api, stripe_down, caplog):
    variant_with_stock("HP-1", on_hand=3)
    token = api.post("/carts/").json()["token"]
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2})

    with caplog.at_level(logging.WARNING, logger="shop"):
        response = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "address": ADDRESS})

    order = Order.objects.get()
    assert response.status_code == 502
    assert response.json() == {"code": "payment_unavailable", "message": UNAVAILABLE, "field": None}
    assert _leaks(response.content.decode(), stripe_down) == []
    assert order.status == OrderStatus.CANCELLED
    assert Payment.objects.count() == 0
    assert on_hand("HP-1") == 3
    logged = [record.getMessage() for record in caplog.records if record.name == "shop.services.checkout"]
    assert len(logged) == 1
    assert logged[0].startswith(f"Opening a stripe payment for order {order.number} failed [gateway_error]: "
                                "APIConnectionError: ")
    assert "Connection refused" in logged[0]
    assert all("ada@example.com" not in record.getMessage() for record in caplog.records)


def test_the_reader_checkout_page_with_stripe_down_shows_the_generic_message(stripe_down):
    variant_with_stock("HP-1", on_hand=3)
    reader = Client()
    reader.get("/buy/HP-1/")

    response = reader.post("/checkout/", {"email": "ada@example.com", "fulfilment": "shipping", **ADDRESS})

    page = response.content.decode()
    assert response.status_code == 200
    assert UNAVAILABLE in page
    message_start = page.index(UNAVAILABLE)
    assert _leaks(page[message_start - 300:message_start + 300], stripe_down) == []
    assert Order.objects.get().status == OrderStatus.CANCELLED
