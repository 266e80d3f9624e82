"""A cart buys once: a checkout restarted around a payment never leaves two payable or two paid orders.

Payments arrive through the real webhook path (signed with the SDK's helper); Stripe itself is a fake.
"""

from decimal import Decimal

import pytest
from django.test import Client

from shop.models import Cart, Order, OrderStatus, Payment, PaymentStatus, Refund, RefundStatus, StockReservation
from tests.shop.helpers import intent_object, on_hand, post_webhook, signed_event, variant_with_stock

pytestmark = pytest.mark.django_db

CHECKOUT = {"email": "ada@example.com", "fulfilment": "shipping",
            "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
                        "country": "US"}}


@pytest.fixture
def cart_token(api, fake_stripe):
    """2 × HP-1 at 15.00 (35.00 with US shipping) in a cart, with Stripe as the gateway."""
    variant_with_stock("HP-1", price="15.00", on_hand=5)
    token = api.post("/carts/").json()["token"]
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2})
    return token


def _pay(order_number: str, event_id: str, amount: int = 3500):
    return post_webhook(*signed_event("payment_intent.succeeded", intent_object(f"pi_{order_number}", amount=amount),
                                      event_id=event_id))


def test_checkout_restarted_after_the_order_was_paid_is_refused(api, cart_token, django_capture_on_commit_callbacks):
    first = api.post(f"/carts/{cart_token}/checkout", CHECKOUT).json()["order"]["number"]
    with django_capture_on_commit_callbacks(execute=True):
        paid = _pay(first, "evt_1")

    restarted = api.post(f"/carts/{cart_token}/checkout", CHECKOUT)
    added = api.post(f"/carts/{cart_token}/lines", {"sku": "HP-1", "quantity": 1})

    assert paid.json()["result"] == "processed"
    assert restarted.status_code == 409
    assert restarted.json() == {"code": "cart_checked_out", "field": None,
                                "message": "This cart has already been checked out; start a new cart."}
    assert added.status_code == 409
    assert added.json()["code"] == "cart_checked_out"
    assert list(Order.objects.values_list("number", "status")) == [(first, OrderStatus.PAID)]
    assert Cart.objects.get(token=cart_token).checked_out_at is not None
    assert on_hand("HP-1") == 3


def test_a_late_payment_of_a_replaced_checkout_keeps_that_order_and_cancels_the_replacement(
    api, cart_token, fake_stripe, django_capture_on_commit_callbacks,
):
    first = api.post(f"/carts/{cart_token}/checkout", CHECKOUT).json()["order"]["number"]
    second = api.post(f"/carts/{cart_token}/checkout", CHECKOUT).json()["order"]["number"]
    assert Order.objects.get(number=first).status == OrderStatus.CANCELLED
    fake_stripe.calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        late = _pay(first, "evt_1")  # the buyer had paid order 1 in another tab

    statuses = dict(Order.objects.values_list("number", "status"))
    assert late.json()["result"] == "processed"
    assert statuses == {first: OrderStatus.PAID, second: OrderStatus.CANCELLED}
    assert on_hand("HP-1") == 3
    assert StockReservation.objects.count() == 0
    assert fake_stripe.calls == [("cancel_intent", f"kolshop-cancel-pi_{second}")]
    assert Payment.objects.get(intent_id=f"pi_{second}").status == PaymentStatus.CANCELLED
    assert list(Order.objects.get(number=second).events.values_list("type", "data")) == [
        ("placed", {"total": "35.00", "currency": "USD"}),
        ("payment_created", {"gateway": "stripe", "intent_id": f"pi_{second}"}),
        ("cancelled", {"reason": f"cart paid by order {first}"}),
    ]
    assert Refund.objects.count() == 0


def test_paying_the_replacement_too_refunds_it_and_never_makes_two_paid_orders(
    api, cart_token, fake_stripe, django_capture_on_commit_callbacks,
):
    first = api.post(f"/carts/{cart_token}/checkout", CHECKOUT).json()["order"]["number"]
    second = api.post(f"/carts/{cart_token}/checkout", CHECKOUT).json()["order"]["number"]
    with django_capture_on_commit_callbacks(execute=True):
        _pay(first, "evt_1")
    fake_stripe.calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _pay(second, "evt_2")  # the cancel came too late: the buyer paid order 2 as well

    second_payment = Payment.objects.get(intent_id=f"pi_{second}")
    assert dict(Order.objects.values_list("number", "status")) == {first: OrderStatus.PAID,
                                                                  second: OrderStatus.CANCELLED}
    assert second_payment.status == PaymentStatus.SUCCEEDED
    refund = Refund.objects.get()
    assert (refund.payment, refund.amount, refund.status, refund.automatic) == (
        second_payment, Decimal("35.00"), RefundStatus.PENDING, True)
    assert fake_stripe.calls == [("refund", f"kolshop-refund-{refund.pk}")]
    assert on_hand("HP-1") == 3


def test_the_restarted_checkout_of_a_paid_order_s_replacement_is_refunded_when_paid_first(
    api, cart_token, fake_stripe, django_capture_on_commit_callbacks,
):
    # Order 1 pending, checkout restarted (order 2), order 2 paid, then order 1's payment arrives late.
    first = api.post(f"/carts/{cart_token}/checkout", CHECKOUT).json()["order"]["number"]
    second = api.post(f"/carts/{cart_token}/checkout", CHECKOUT).json()["order"]["number"]
    with django_capture_on_commit_callbacks(execute=True):
        _pay(second, "evt_2")
    fake_stripe.calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _pay(first, "evt_1")

    assert dict(Order.objects.values_list("number", "status")) == {first: OrderStatus.CANCELLED,
                                                                  second: OrderStatus.PAID}
    refund = Refund.objects.get()
    assert (refund.payment.intent_id, refund.amount) == (f"pi_{first}", Decimal("35.00"))
    assert fake_stripe.calls == [("refund", f"kolshop-refund-{refund.pk}")]
    assert list(Order.objects.get(number=first).events.values_list("type", flat=True)) == [
        "placed", "payment_created", "cancelled", "duplicate_payment", "refund_requested"]
    assert on_hand("HP-1") == 3


def test_the_reader_site_starts_a_new_cart_after_a_paid_order(shop_settings):
    variant_with_stock("HP-1", price="10.00", on_hand=5)
    reader = Client()
    reader.get("/buy/HP-1/")
    reader.post("/checkout/", {"email": "ada@example.com", "fulfilment": "pickup"})

    again = reader.get("/buy/HP-1/")
    reader.post("/checkout/", {"email": "ada@example.com", "fulfilment": "pickup"})

    assert again["Location"] == "/cart/"
    assert list(Order.objects.order_by("pk").values_list("status", flat=True)) == [OrderStatus.PAID, OrderStatus.PAID]
    assert Cart.objects.count() == 2
    assert on_hand("HP-1") == 3
