"""Small builders for shop tests: stock, carts, checkout, signed webhooks."""

import json
import time
from decimal import Decimal

import stripe
from django.test import Client

from shop.models import Cart, Stock, Variant
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


def money(value: str) -> Decimal:
    return Decimal(value)
