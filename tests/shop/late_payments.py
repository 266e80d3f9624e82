"""Helpers for late payments: a checkout whose hold ran out, and the gateway's word arriving by webhook."""

from datetime import timedelta

from django.utils import timezone

from shop.models import Order, Payment
from shop.money import to_minor_units
from shop.services.expiry import release_expired_reservations
from tests.shop.helpers import intent_object, post_webhook, signed_event


def let_the_hold_run_out(order: Order) -> None:
    """The buyer's reservation time passes and the sweep cancels the order (as every minute in production)."""
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    order.reservations.update(expires_at=timezone.now() - timedelta(seconds=1))
    release_expired_reservations()


def pay_by_webhook(order: Order, *, event_id: str, metadata: dict | None = None) -> str:
    """``payment_intent.succeeded`` for the order's payment, signed like Stripe's; returns the handler's result."""
    payment = Payment.objects.filter(order=order).order_by("pk").first()
    obj = intent_object(payment.intent_id, amount=to_minor_units(payment.amount, payment.currency),
                        currency=payment.currency.lower())
    obj["amount_received"] = obj["amount"]
    if metadata:
        obj["metadata"] = metadata
    response = post_webhook(*signed_event("payment_intent.succeeded", obj, event_id=event_id))
    assert response.status_code == 200, response.content
    return response.json()["result"]
