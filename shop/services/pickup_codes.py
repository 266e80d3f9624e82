"""Pickup codes: derived from an order's secret (never stored), looked up by their hash."""

import hashlib
import hmac

from django.conf import settings

from shop.models import Order

_PICKUP_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def pickup_code_for(order: Order) -> str:
    """Derived from the order's secret, so it never needs storing; only its hash is kept for lookup."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"pickup:{order.number}:{order.secret}".encode(), hashlib.sha256
    ).digest()
    code = "".join(_PICKUP_ALPHABET[byte % len(_PICKUP_ALPHABET)] for byte in digest[:10])
    return f"{code[:5]}-{code[5:]}"


def hash_pickup_code(code: str) -> str:
    normalised = code.strip().upper().replace(" ", "").replace("-", "")
    return hashlib.sha256(f"kolshop-pickup:{normalised}".encode()).hexdigest()
