"""The real stripe SDK against localstripe (a stateful fake Stripe on loopback), webhooks included.

localstripe signs and sends ``payment_intent.succeeded`` / ``payment_failed`` itself; it sends no
``charge.refunded`` or dispute events, so those payloads are built from its real charge and
signed with the SDK's helper.
"""

import pytest
import stripe

from shop.models import Order, OrderStatus, Payment, PaymentStatus, Refund, RefundStatus
from shop.services.refunds import refund_order
from shop.services.expiry import release_expired_reservations
from tests.shop.helpers import card, on_hand, post_webhook, signed_event, variant_with_stock, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

CHECKOUT = {"email": "ada@example.com", "fulfilment": "shipping",
            "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
                        "country": "US"}}


@pytest.fixture
def webhooks_to(localstripe_webhooks):
    """localstripe delivers its signed events to this test's live server (``localstripe_webhooks``)."""
    return localstripe_webhooks(["payment_intent.succeeded", "payment_intent.payment_failed"])


def _checkout(api, sku: str, quantity: int) -> dict:
    token = api.post("/carts/").json()["token"]
    assert api.post(f"/carts/{token}/lines", {"sku": sku, "quantity": quantity}).status_code == 201
    response = api.post(f"/carts/{token}/checkout", CHECKOUT)
    assert response.status_code == 201, response.content
    return response.json()


def _pay_in_browser(sdk, intent_id: str, number: str = "4242424242424242"):
    """What Stripe's Payment Element does: attach a card and confirm."""
    sdk.v1.payment_intents.update(intent_id, params={"payment_method": card(sdk, number)})
    return sdk.v1.payment_intents.confirm(intent_id)


def test_checkout_opens_a_real_payment_intent_and_returns_its_client_secret(api, sdk):
    variant_with_stock("HP-1", price="15.00", on_hand=4)

    body = _checkout(api, "HP-1", 2)

    payment = Payment.objects.get()
    intent = sdk.v1.payment_intents.retrieve(payment.intent_id)
    assert body["payment"]["gateway"] == "stripe"
    assert body["payment"]["publishable_key"] == "pk_test_kolshop"
    assert body["payment"]["client_secret"] == intent.client_secret
    assert body["payment"]["client_secret"].startswith(f"{payment.intent_id}_secret_")
    assert (intent.amount, intent.currency, intent.status) == (3500, "usd", "requires_payment_method")
    assert intent.metadata.to_dict() == {"order_number": body["order"]["number"]}
    assert body["order"]["status"] == "pending"


def test_localstripes_signed_webhook_pays_the_order(api, sdk, webhooks_to):
    variant_with_stock("HP-1", price="15.00", on_hand=4)
    number = _checkout(api, "HP-1", 2)["order"]["number"]

    intent = _pay_in_browser(sdk, Payment.objects.get().intent_id)

    assert intent.status == "succeeded"
    assert wait_for(lambda: Order.objects.get(number=number).status == OrderStatus.PAID)
    assert on_hand("HP-1") == 2
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


def test_a_declined_card_leaves_the_order_pending_with_a_failed_payment(api, sdk, webhooks_to):
    variant_with_stock("HP-1", price="15.00", on_hand=4)
    number = _checkout(api, "HP-1", 1)["order"]["number"]

    with pytest.raises(stripe.CardError):
        _pay_in_browser(sdk, Payment.objects.get().intent_id, number="4000000000000341")

    assert wait_for(lambda: Payment.objects.get().status == PaymentStatus.FAILED)
    assert Order.objects.get(number=number).status == OrderStatus.PENDING
    assert on_hand("HP-1") == 4


def test_a_partial_refund_goes_to_stripe_and_the_order_follows_the_refund_webhook(api, sdk, webhooks_to):
    variant_with_stock("HP-1", price="15.00", on_hand=4)
    number = _checkout(api, "HP-1", 2)["order"]["number"]
    intent = _pay_in_browser(sdk, Payment.objects.get().intent_id)
    assert wait_for(lambda: Order.objects.get(number=number).status == OrderStatus.PAID)
    order = Order.objects.get(number=number)

    refund = refund_order(order, quantities={order.lines.get().pk: 1}, restock=True)

    assert refund.gateway_refund_id.startswith("re_")
    assert (refund.status, refund.amount) == (RefundStatus.PENDING, 15)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID  # until Stripe says so
    charge = sdk.v1.charges.retrieve(intent.latest_charge if isinstance(intent.latest_charge, str)
                                     else intent.latest_charge.id)
    assert charge.amount_refunded == 1500

    post_webhook(*signed_event("charge.refunded", charge.to_dict(), event_id="evt_refund_1"))

    order.refresh_from_db()
    assert (order.status, str(order.amount_refunded)) == (OrderStatus.PARTIALLY_REFUNDED, "15.00")
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert on_hand("HP-1") == 3


def test_expiry_cancels_the_intent_at_stripe(api, sdk, stripe_settings):
    variant_with_stock("HP-1", price="15.00", on_hand=4)
    _checkout(api, "HP-1", 1)
    Order.objects.update(reserved_until="2000-01-01T00:00:00Z")

    assert release_expired_reservations() == 1

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CANCELLED
    assert sdk.v1.payment_intents.retrieve(payment.intent_id).status == "canceled"


def test_an_unreachable_stripe_is_a_502_and_releases_the_stock(api, stripe_settings):
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    variant_with_stock("HP-1", price="15.00", on_hand=4)
    token = api.post("/carts/").json()["token"]
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1})

    response = api.post(f"/carts/{token}/checkout", CHECKOUT)

    assert response.status_code == 502
    assert response.json()["code"] == "payment_unavailable"
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert Payment.objects.count() == 0
    assert Order.objects.get().reservations.count() == 0
