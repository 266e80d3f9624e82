"""Stripe webhooks, signed with the SDK's own helper: verified, handled once, in any order."""

import time
from decimal import Decimal

import pytest

from shop.models import Dispute, Order, OrderStatus, Payment, PaymentStatus, ProcessedWebhookEvent, StockReservation
from shop.services.checkout import start_checkout
from tests.shop.helpers import (
    US_ADDRESS,
    FakeStripeGateway,
    cart_with,
    intent_object,
    on_hand,
    post_webhook,
    signed_event,
    variant_with_stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_order(shop_settings):
    """A pending 2 × 15.00 + 5.00 shipping order whose payment is a Stripe intent."""
    variant_with_stock("HP-1", price="15.00", on_hand=4)
    result = start_checkout(cart_with(("HP-1", 2)), email="ada@example.com", fulfilment="shipping",
                            address=US_ADDRESS, gateway=FakeStripeGateway())
    return result.order


def _succeeded(order: Order, event_id: str = "evt_1", amount: int = 3500):
    return signed_event("payment_intent.succeeded", intent_object(f"pi_{order.number}", amount=amount),
                        event_id=event_id)


def test_payment_intent_succeeded_pays_the_order_and_takes_the_stock(stripe_order):
    response = post_webhook(*_succeeded(stripe_order))

    stripe_order.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {"id": "evt_1", "type": "payment_intent.succeeded", "result": "processed"}
    assert stripe_order.status == OrderStatus.PAID
    assert on_hand("HP-1") == 2
    assert StockReservation.objects.count() == 0
    assert list(ProcessedWebhookEvent.objects.values_list("event_id", "type")) == [
        ("evt_1", "payment_intent.succeeded")]


def test_the_same_event_twice_is_handled_once(stripe_order):
    post_webhook(*_succeeded(stripe_order))

    again = post_webhook(*_succeeded(stripe_order))

    assert again.json()["result"] == "duplicate"
    assert on_hand("HP-1") == 2
    assert stripe_order.events.filter(type="paid").count() == 1


def test_a_second_success_event_for_the_same_intent_changes_nothing(stripe_order):
    post_webhook(*_succeeded(stripe_order, "evt_1"))

    other = post_webhook(*_succeeded(stripe_order, "evt_2"))

    assert other.json()["result"] == "processed"
    assert on_hand("HP-1") == 2
    assert stripe_order.events.filter(type="paid").count() == 1


def test_a_failure_after_success_does_not_unpay_the_order(stripe_order):
    post_webhook(*_succeeded(stripe_order, "evt_ok"))

    post_webhook(*signed_event("payment_intent.payment_failed",
                               intent_object(f"pi_{stripe_order.number}", amount=3500, message="Declined"),
                               event_id="evt_fail"))

    stripe_order.refresh_from_db()
    assert stripe_order.status == OrderStatus.PAID
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


def test_a_failure_before_success_leaves_the_order_payable(stripe_order):
    post_webhook(*signed_event("payment_intent.payment_failed",
                               intent_object(f"pi_{stripe_order.number}", amount=3500, message="Card declined"),
                               event_id="evt_fail"))
    stripe_order.refresh_from_db()
    payment = Payment.objects.get()
    assert (stripe_order.status, payment.status, payment.failure_message) == (
        OrderStatus.PENDING, PaymentStatus.FAILED, "Card declined")

    post_webhook(*_succeeded(stripe_order, "evt_ok"))

    stripe_order.refresh_from_db()
    assert stripe_order.status == OrderStatus.PAID
    assert on_hand("HP-1") == 2


def test_a_wrong_amount_does_not_pay_the_order(stripe_order):
    response = post_webhook(*_succeeded(stripe_order, amount=100))

    stripe_order.refresh_from_db()
    assert response.status_code == 200
    assert stripe_order.status == OrderStatus.PENDING
    assert stripe_order.events.last().type == "amount_mismatch"
    assert on_hand("HP-1") == 4


def test_an_unknown_intent_is_acknowledged_and_ignored(stripe_order):
    response = post_webhook(*signed_event("payment_intent.succeeded", intent_object("pi_elsewhere", amount=100),
                                          event_id="evt_x"))

    assert response.json()["result"] == "ignored"
    assert on_hand("HP-1") == 4


@pytest.mark.parametrize(("header_for", "message_start"), [
    (lambda payload: "t=1,v1=deadbeef", "No signatures found matching"),
    (lambda payload: "", "No Stripe-Signature header"),
])
def test_a_bad_signature_is_a_400_and_changes_nothing(stripe_order, header_for, message_start):
    payload, _ = _succeeded(stripe_order)

    response = post_webhook(payload, header_for(payload))

    stripe_order.refresh_from_db()
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert response.json()["field"] == "Stripe-Signature"
    assert response.json()["message"].startswith(message_start)
    assert stripe_order.status == OrderStatus.PENDING
    assert ProcessedWebhookEvent.objects.count() == 0


def test_a_payload_signed_with_another_secret_is_refused(stripe_order):
    payload, header = signed_event("payment_intent.succeeded",
                                   intent_object(f"pi_{stripe_order.number}", amount=3500),
                                   event_id="evt_1", secret="whsec_someone_else")

    assert post_webhook(payload, header).status_code == 400
    assert on_hand("HP-1") == 4


def test_a_timestamp_older_than_300_seconds_is_refused(stripe_order):
    stale = int(time.time()) - 301
    payload, header = signed_event("payment_intent.succeeded",
                                   intent_object(f"pi_{stripe_order.number}", amount=3500),
                                   event_id="evt_1", timestamp=stale)

    response = post_webhook(payload, header)

    assert response.status_code == 400
    assert response.json()["message"].startswith("Timestamp outside the tolerance zone")
    assert on_hand("HP-1") == 4
    assert ProcessedWebhookEvent.objects.count() == 0


def test_a_timestamp_within_300_seconds_is_accepted(stripe_order):
    payload, header = signed_event("payment_intent.succeeded",
                                   intent_object(f"pi_{stripe_order.number}", amount=3500),
                                   event_id="evt_1", timestamp=int(time.time()) - 290)

    assert post_webhook(payload, header).status_code == 200


def test_charge_refunded_sets_the_refund_state(stripe_order):
    post_webhook(*_succeeded(stripe_order))
    charge = {"id": "ch_1", "object": "charge", "payment_intent": f"pi_{stripe_order.number}",
              "amount": 3500, "amount_refunded": 1500, "currency": "usd"}

    post_webhook(*signed_event("charge.refunded", charge, event_id="evt_r1"))
    stripe_order.refresh_from_db()
    assert (stripe_order.status, stripe_order.amount_refunded) == (OrderStatus.PARTIALLY_REFUNDED, Decimal("15.00"))

    post_webhook(*signed_event("charge.refunded", {**charge, "amount_refunded": 3500}, event_id="evt_r2"))
    post_webhook(*signed_event("charge.refunded", charge, event_id="evt_r1_late"))  # stale total: ignored
    stripe_order.refresh_from_db()
    assert (stripe_order.status, stripe_order.amount_refunded) == (OrderStatus.REFUNDED, Decimal("35.00"))


def test_a_refund_event_before_the_success_event_is_applied_once_paid(stripe_order):
    charge = {"id": "ch_1", "object": "charge", "payment_intent": f"pi_{stripe_order.number}",
              "amount": 3500, "amount_refunded": 1000, "currency": "usd"}
    post_webhook(*signed_event("charge.refunded", charge, event_id="evt_r1"))

    post_webhook(*_succeeded(stripe_order))

    stripe_order.refresh_from_db()
    assert (stripe_order.status, stripe_order.amount_refunded) == (OrderStatus.PARTIALLY_REFUNDED, Decimal("10.00"))
    assert on_hand("HP-1") == 2


def test_charge_dispute_created_flags_the_payment(stripe_order):
    post_webhook(*_succeeded(stripe_order))
    dispute = {"id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": f"pi_{stripe_order.number}",
               "amount": 3500, "currency": "usd", "reason": "fraudulent", "status": "needs_response"}

    post_webhook(*signed_event("charge.dispute.created", dispute, event_id="evt_d1"))

    event = stripe_order.events.last()
    assert Payment.objects.get().disputed is True
    assert (event.type, event.data) == ("disputed", {"dispute_id": "dp_1", "amount": "35.00", "reason": "fraudulent",
                                                     "status": "needs_response"})
    assert list(Dispute.objects.values_list("gateway_dispute_id", "status", "amount", "currency", "closed_at")) == [
        ("dp_1", "needs_response", Decimal("35.00"), "USD", None)]


def test_other_event_types_are_acknowledged(stripe_order):
    response = post_webhook(*signed_event("customer.created", {"id": "cus_1"}, event_id="evt_c"))

    assert (response.status_code, response.json()["result"]) == (200, "ignored")
