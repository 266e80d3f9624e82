"""Small builders for shop tests: stock, carts, checkout, signed webhooks."""

import json
import time
from decimal import Decimal

import stripe
from django.test import Client

from shop.models import Cart, Stock, Variant
from shop.payments.gateway import IntentResult, PaymentGatewayError, RefundResult
from shop.services.cart import add_to_cart
from shop.services.checkout import ShippingAddress, start_checkout
from tests.factories import make_product
from tests.shop.conftest import WEBHOOK_SECRET

US_ADDRESS = ShippingAddress(name="Ada Reader", line1="1 Main St", city="Springfield", postal_code="12345",
                             country="US")


def variant_with_stock(sku: str, *, price: str = "10.00", on_hand: int = 5, currency: str = "USD") -> Variant:
    make_product(variants=[(sku, price, on_hand)], currency=currency)
    return Variant.objects.get(sku=sku)


def on_hand(sku: str) -> int:
    return Stock.objects.get(variant__sku=sku).on_hand


def cart_with(*lines: tuple[str, int], attribution=None) -> Cart:
    cart = Cart.objects.create()
    for sku, quantity in lines:
        add_to_cart(cart, sku=sku, quantity=quantity, attribution=attribution)
    return cart


def checkout(cart: Cart, *, email: str = "ada@example.com", **options):
    options.setdefault("fulfilment", "shipping")
    if options["fulfilment"] == "shipping":
        options.setdefault("address", US_ADDRESS)
    return start_checkout(cart, email=email, **options)


def signed_event(event_type: str, obj: dict, *, event_id: str, timestamp: int | None = None,
                 secret: str = WEBHOOK_SECRET) -> tuple[str, str]:
    """A webhook body and its Stripe-Signature header, made with the SDK's own signing helper."""
    payload = json.dumps({"id": event_id, "object": "event", "type": event_type, "created": int(time.time()),
                          "data": {"object": obj}})
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return payload, header


def post_webhook(payload: str, header: str, client: Client | None = None):
    return (client or Client()).post("/webhooks/stripe/", payload, content_type="application/json",
                                     headers={"Stripe-Signature": header})


def intent_object(intent_id: str, *, amount: int, currency: str = "usd", message: str = "") -> dict:
    obj = {"id": intent_id, "object": "payment_intent", "amount": amount, "currency": currency}
    if message:
        obj["last_payment_error"] = {"message": message}
    return obj


def card(sdk, number: str = "4242424242424242") -> str:
    """What Stripe.js does in the buyer's browser: a payment method for the card typed in."""
    return sdk.v1.payment_methods.create(params={
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}).id


def wait_for(predicate, *, seconds: float = 10.0) -> bool:
    """Whether ``predicate`` comes true within ``seconds`` (another process, a webhook delivered by localstripe)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def money(value: str) -> Decimal:
    return Decimal(value)


class FakeStripeGateway:
    """Stands in for Stripe (no server; see test_stripe_localstripe.py): ids follow the order number,
    outcomes arrive by webhook. ``down`` makes every call fail as a refused connection does; ``calls``
    keeps each call's idempotency key."""

    name = "stripe"
    publishable_key = "pk_test"
    sends_webhooks = True
    confirms_on_server = False

    def __init__(self):
        self.down = False
        self.calls: list[tuple[str, str]] = []
        self.refunds: dict[str, RefundResult] = {}

    def _call(self, operation: str, idempotency_key: str) -> None:
        self.calls.append((operation, idempotency_key))
        if self.down:
            raise PaymentGatewayError(detail="APIConnectionError: connection to http://127.0.0.1:9 refused")

    def create_intent(self, *, amount, currency, reference, idempotency_key, metadata):
        self._call("create_intent", idempotency_key)
        return IntentResult(intent_id=f"pi_{reference}", client_secret=f"pi_{reference}_secret", succeeded=False)

    def cancel_intent(self, intent_id, *, idempotency_key):
        self._call("cancel_intent", idempotency_key)

    def refund(self, intent_id, *, amount, currency, idempotency_key, metadata):
        self._call("refund", idempotency_key)
        # Like Stripe: the same key returns the first refund instead of making a second.
        return self.refunds.setdefault(idempotency_key, RefundResult(refund_id=f"re_{len(self.refunds) + 1}",
                                                                     succeeded=False))
