"""Vouchers that are money owed (a reader's reward): nothing of them is lost to a cart too small to carry them.

A fixed voucher marked ``reissue_unused`` is used up by the order that takes it, like any single-use voucher,
and the order gives back what it did not use as a new single-use voucher of the same owner, funder, currency
and expiry:

* when the order is paid, the unused rest: the voucher's value less the discount the order's lines carried
  (a storefront line carries only its funder's part, so a storefront-only cart may carry only the fees);
* when it is refunded, the discount on what was given back, cumulatively (per line, the discount of the units
  its settled refunds gave back, rounded down to the minor unit: the whole discount once every unit is).

An order cancelled before payment never used the voucher (a cancelled order holds no use), so nothing is
issued for it. Each remainder is issued once per order and cause (a unique constraint), so a duplicate webhook
or a retried refund issues nothing more. Ordinary promotional vouchers apply partly and keep no remainder:
that is a promotion's usual terms, as in Saleor, where only gift cards keep a balance.
"""

import secrets
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction

from shop.models import Order, OrderStatus, Refund, Voucher, VoucherKind
from shop.money import quantize_minor
from shop.services.refunded_lines import refunded_by_line

ZERO = Decimal("0.00")
PAID_SOURCE = "paid"
REFUND_PREFIX = "refund:"


def owes_remainder(voucher: Voucher | None) -> bool:
    """The one rule: a fixed voucher that is money owed to its holder keeps what an order does not use."""
    return voucher is not None and voucher.reissue_unused and voucher.kind == VoucherKind.FIXED


def _issue(voucher: Voucher, *, order: Order, amount: Decimal, source: str) -> Voucher | None:
    if amount <= ZERO:
        return None
    existing = Voucher.objects.filter(remainder_order=order, remainder_source=source).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Voucher.objects.create(
                code=f"REST-{secrets.token_hex(5).upper()}", kind=VoucherKind.FIXED, value=amount,
                currency=voucher.currency, valid_from=voucher.valid_from, valid_until=voucher.valid_until,
                usage_limit=1, per_buyer_limit=1, creator_id=voucher.creator_id, brand_id=voucher.brand_id,
                reissue_unused=True,
                remainder_of=voucher, origin_id=voucher.origin_id or voucher.pk, remainder_order=order,
                remainder_source=source,
            )
    except IntegrityError:  # issued concurrently for the same cause: the one already there stands
        return Voucher.objects.get(remainder_order=order, remainder_source=source)


def unused_amount(voucher: Voucher, *, order: Order) -> Decimal:
    """What ``order`` left of ``voucher``: its value less the discount the order's lines carried."""
    return max(ZERO, quantize_minor(voucher.value - order.discount_total, order.currency, rounding=ROUND_DOWN))


def issue_voucher_remainder(order: Order) -> Voucher | None:
    """The order is paid: issue the unused rest of its owed voucher (called inside the payment's transaction)."""
    if order.voucher_id is None or order.status != OrderStatus.PAID:
        return None
    voucher = Voucher.objects.get(pk=order.voucher_id)
    if not owes_remainder(voucher):
        return None
    return _issue(voucher, order=order, amount=unused_amount(voucher, order=order), source=PAID_SOURCE)


def refunded_discount(order: Order) -> Decimal:
    """The part of the order's voucher discount that its settled refunds have given back so far: each line's
    discount on the units its succeeded refunds' lines gave back, rounded down to the minor unit. A refund still
    pending gives back nothing yet, and a refund of no line (a duplicate payment given back) gives back none."""
    units = {line_id: refunded.units for line_id, refunded in refunded_by_line(order.pk).items()}
    given = ZERO
    for line_id, discount, quantity in order.lines.values_list("pk", "discount_amount", "quantity"):
        if quantity and units.get(line_id):
            given += quantize_minor(discount * min(units[line_id], quantity) / quantity, order.currency,
                                    rounding=ROUND_DOWN)
    return min(given, order.discount_total)


def restore_voucher_for_refund(order: Order, refund: Refund) -> Voucher | None:
    """A refund settled: give back, as a new voucher, the owed voucher's discount on what was refunded, less what
    earlier refunds already gave back (cumulative, so two half refunds give back exactly the whole)."""
    if order.voucher_id is None:
        return None
    voucher = Voucher.objects.get(pk=order.voucher_id)
    if not owes_remainder(voucher):
        return None
    restored = sum(Voucher.objects.filter(remainder_order=order, remainder_source__startswith=REFUND_PREFIX)
                   .exclude(remainder_source=f"{REFUND_PREFIX}{refund.pk}").values_list("value", flat=True), ZERO)
    return _issue(voucher, order=order, amount=refunded_discount(order) - restored,
                  source=f"{REFUND_PREFIX}{refund.pk}")
