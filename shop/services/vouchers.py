"""Voucher rules: validity window, total and per-buyer limits, and the discount they give.

A use counts from the moment checkout starts (pending orders hold it) until the order is
cancelled, so two buyers can't both take the last use. Checkout locks the voucher row first,
before any stock row, in every transaction that touches both.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shop.errors import Conflict, InvalidInput
from shop.models import Order, OrderStatus, Voucher, VoucherKind
from shop.services.buyer_identity import ordered_by
from shop.services.listing_prices import BRAND_FUNDED, CREATOR_FUNDED, PLATFORM_FUNDED, discount_room
from shop.money import allocate_capped, quantize


def _voucher_error(message: str, code: str = "invalid_voucher") -> InvalidInput:
    return InvalidInput(message, code=code, field="voucher_code")


def _uses(voucher: Voucher):
    return Order.objects.filter(voucher=voucher).exclude(status=OrderStatus.CANCELLED)


def annotate_uses(vouchers: QuerySet[Voucher]) -> QuerySet[Voucher]:
    """``use_count`` on each voucher: its orders that hold a use, as ``_uses`` counts them (all but cancelled)."""
    return vouchers.annotate(use_count=Count("orders", filter=~Q(orders__status=OrderStatus.CANCELLED)))


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


def voucher_lapsed(order: Order, *, now: datetime) -> str | None:
    """Why a payment arriving now may not keep its order's voucher (the refusal's code), or ``None``.

    The vouchers' one rule for late payments, as ``pricing.lapsed_promotion_lines`` is the promotions'. An
    order still pending held its use all along (``_uses`` counts it), so its voucher stands. An order whose
    hold expired (cancelled) gave its use back, and another order may have taken it since: it is checked again
    like a new checkout, under the voucher's row lock (taken before promotions and stock, as checkout takes
    it). A voucher is the funder's promise of how many uses it pays for, so a lapsed one is not honoured: the
    caller refunds the payment in full. No query for an order without a voucher or still pending.
    """
    if order.voucher_id is None or order.status != OrderStatus.CANCELLED:
        return None
    voucher = Voucher.objects.select_for_update().filter(pk=order.voucher_id).first()
    if voucher is None or not voucher.active:
        return "unknown_voucher"
    try:
        validate_voucher(voucher, email=order.email, currency=order.currency, exclude_cart_id=order.cart_id, now=now)
    except InvalidInput as refusal:
        return refusal.code
    return None


def voucher_discount(voucher: Voucher, *, subtotal: Decimal) -> Decimal:
    """Never more than the subtotal: a voucher doesn't pay for shipping or make a total negative."""
    if voucher.kind == VoucherKind.PERCENTAGE:
        discount = quantize(subtotal * voucher.value / Decimal("100"))
    else:
        discount = quantize(voucher.value)
    return min(discount, subtotal)


def voucher_funder(voucher: Voucher) -> str:
    """Who pays for a voucher's discount: the brand whose voucher it is, the creator whose code it is, else the
    platform (reward vouchers too)."""
    if voucher.brand_id is not None:
        return BRAND_FUNDED
    return CREATOR_FUNDED if voucher.creator_id is not None else PLATFORM_FUNDED


def line_discount_room(voucher: Voucher, line) -> Decimal:
    """How much of the discount ``line`` (a cart line: ``price``, ``line_total``) may carry.

    An ordinary line is the shop's own sale and takes its share as before, up to its whole total. A storefront
    line takes only what the voucher's funder earns on it: a platform voucher its fee, a creator's voucher the
    margin of that creator's own reseller listing (nothing on another creator's listing or on an agency line), a
    brand's voucher the brand's own part (wholesale; on an agency line its revenue). A brand's voucher applies to
    that brand's storefront lines only: the brand is paid only for storefront lines (its payable), so only there
    can it bear a discount; on a catalog line the platform would pay it."""
    if voucher.brand_id is not None and line.variant.product.brand_id != voucher.brand_id:
        return Decimal("0.00")
    listing = line.price.listing
    if listing is None:
        return Decimal("0.00") if voucher.brand_id is not None else line.line_total
    funder = voucher_funder(voucher)
    if funder == CREATOR_FUNDED and listing.creator_id != voucher.creator_id:
        return Decimal("0.00")
    return discount_room(line.price.supply_split(), funder=funder)


def allocate_voucher_discount(voucher: Voucher | None, lines: Sequence, *, subtotal: Decimal,
                              currency: str) -> list[Decimal]:
    """Each line's share of the voucher's discount (one rule for every order; cart lines: ``price``, ``line_total``).

    The discount (``voucher_discount``) is spread in proportion to the lines' totals, to the currency's minor
    unit by largest remainder; a storefront line takes no more than its funder's part of it
    (``line_discount_room``) and passes the rest to the other lines; what no line can carry is not given.
    The order's discount is the sum of the shares, so the total charged is the lines' totals plus shipping.
    A voucher that would give something but no line can carry any of it answers 409 ``voucher_not_applicable``."""
    if voucher is None:
        return [Decimal("0.00") for _line in lines]
    discount = voucher_discount(voucher, subtotal=subtotal)
    shares = allocate_capped(discount, [line.line_total for line in lines],
                             caps=[line_discount_room(voucher, line) for line in lines], currency=currency)
    if discount > 0 and not any(shares):
        raise Conflict("This voucher does not apply to the items in your cart.", code="voucher_not_applicable",
                       field="voucher_code")
    return shares
