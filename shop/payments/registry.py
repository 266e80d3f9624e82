"""Which payment gateway serves a payment: the one named in settings, or the one a payment was made with.

Kept apart from ``shop.payments.gateway`` (the interface every gateway implements) so the interface
never imports its implementations.
"""

from django.conf import settings

from shop.payments import dummy, stripe_api
from shop.payments.gateway import PaymentGateway


def get_gateway(name: str | None = None) -> PaymentGateway:
    name = name or settings.KOLSHOP_PAYMENT_GATEWAY
    if name == "dummy":
        return dummy.DummyGateway()
    if name == "stripe":
        return stripe_api.StripeGateway()
    raise ValueError(f"Unknown payment gateway {name!r}; use 'dummy' or 'stripe'.")
