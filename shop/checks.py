"""System checks for the shop: a production deploy must be able to take and verify payments."""

from django.conf import settings
from django.core.checks import Error, Tags, register

GATEWAYS = ("dummy", "stripe")
_STRIPE_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")


@register(Tags.security, deploy=True)
def check_payment_gateway(app_configs=None, **kwargs) -> list[Error]:
    """Stripe without its keys takes no payment and accepts no webhook; say so before the first buyer does."""
    gateway = settings.KOLSHOP_PAYMENT_GATEWAY
    if gateway not in GATEWAYS:
        return [Error(f"KOLSHOP_PAYMENT_GATEWAY is {gateway!r}; use 'dummy' or 'stripe'.", id="shop.E001")]
    if gateway != "stripe":
        return []
    return [
        Error(f"{name} must be set when KOLSHOP_PAYMENT_GATEWAY is 'stripe'.",
              hint=f"Set the {name} environment variable (Stripe dashboard → Developers).", id="shop.E002")
        for name in _STRIPE_SETTINGS if not getattr(settings, name, "")
    ]
