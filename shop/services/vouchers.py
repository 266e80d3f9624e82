"""Voucher rules: validity window, total and per-buyer limits, and the discount they give.

A use counts from the moment checkout starts (pending orders hold it) until the order is
cancelled, so two buyers can't both take the last use. Checkout locks the voucher row first,
before any stock row, in every transaction that touches both.
"""

from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from shop.errors import InvalidInput
from shop.models import Order, OrderStatus, Voucher, VoucherKind
from shop.services.buyer_identity import ordered_by
from shop.money import quantize


def _voucher_error(message: str, code: str = "invalid_voucher") -> InvalidInput:
    return InvalidInput(message, code=code, field="voucher_code")


def _uses(voucher: Voucher):
    return Order.objects.filter(voucher=voucher).exclude(status=OrderStatus.CANCELLED)


def lock_voucher(code: str) -> Voucher:
    """The voucher for ``code`` (any case), locked for the rest of the transaction."""
    voucher = Voucher.objects.select_for_update().filter(code=code.strip().upper()).first() if code.strip() else None
    if voucher is None or not voucher.active:
        raise _voucher_error("This voucher code is not valid.", "unknown_voucher")
    return voucher


def validate_voucher(
    voucher: Voucher, *, email: str, currency: str, exclude_cart_id: int | None = None, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    if voucher.valid_from and now < voucher.valid_from:
        raise _voucher_error("This voucher is not valid yet.", "voucher_not_started")
    if voucher.valid_until and now >= voucher.valid_until:
        raise _voucher_error("This voucher has expired.", "voucher_expired")
    if voucher.kind == VoucherKind.FIXED and voucher.currency != currency:
        raise _voucher_error(f"This voucher is for {voucher.currency} orders.", "voucher_currency")
    uses = _uses(voucher)
    if exclude_cart_id is not None:
        # A buyer restarting checkout replaces their own pending order; it should not count twice.
        uses = uses.exclude(Q(cart_id=exclude_cart_id) & Q(status=OrderStatus.PENDING))
    if voucher.usage_limit is not None and uses.count() >= voucher.usage_limit:
        raise _voucher_error("This voucher has been used up.", "voucher_used_up")
    if voucher.per_buyer_limit is not None and uses.filter(ordered_by(email, path="")).count() >= voucher.per_buyer_limit:
        raise _voucher_error("You have already used this voucher.", "voucher_buyer_limit")


def voucher_discount(voucher: Voucher, *, subtotal: Decimal) -> Decimal:
    """Never more than the subtotal: a voucher doesn't pay for shipping or make a total negative."""
    if voucher.kind == VoucherKind.PERCENTAGE:
        discount = quantize(subtotal * voucher.value / Decimal("100"))
    else:
        discount = quantize(voucher.value)
    return min(discount, subtotal)
