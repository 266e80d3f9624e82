"""How money taken back from a storefront line (a refund or a lost dispute) splits, as the line was paid.

A line was paid as ``line_total = wholesale + margin + fee``. After ``taken`` of it went back, the brand
is owed ``part_left(wholesale)`` and the creator ``part_left(margin)``, each rounded to the cent and
computed from everything taken so far (cumulative), so any sequence of refunds adds up to the cent; the
platform's fee is what remains, so ``line_total − taken = wholesale left + margin left + fee left`` exactly.
The creator ledger reverses a margin by calling ``part_left`` too (``creators.services.ledger._earned_on``).

A dispute names an amount for the whole payment; ``chargeback_line_amounts`` spreads it over what is
still unrefunded of each line and of the shipping, in proportion, to the cent (largest remainders).
"""

from decimal import ROUND_DOWN, Decimal

from shop.models import Order, OrderLine, RefundStatus, SupplyLineSplit
from shop.money import quantize

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
DISPUTE_PREFIX = "dispute:"


def part_left(part: Decimal, *, line_total: Decimal, taken: Decimal) -> Decimal:
    """What is left of one part of a line (wholesale, margin) once ``taken`` of its net went back."""
    if line_total <= 0:
        return ZERO
    return quantize(part * (line_total - min(taken, line_total)) / line_total)


def split_taken_back(line: OrderLine, *, before: Decimal, after: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """The (wholesale, margin, fee) parts of what went back of ``line`` as its total taken grew from
    ``before`` to ``after``; they add up to ``after − before`` exactly (the fee takes the rounding)."""
    before, after = min(before, line.line_total), min(after, line.line_total)
    wholesale = (part_left(line.wholesale_amount, line_total=line.line_total, taken=before)
                 - part_left(line.wholesale_amount, line_total=line.line_total, taken=after))
    margin = (part_left(line.creator_margin, line_total=line.line_total, taken=before)
              - part_left(line.creator_margin, line_total=line.line_total, taken=after))
    return wholesale, margin, after - before - wholesale - margin


def taken_so_far(order: Order) -> dict[int, Decimal]:
    """{line id: net taken back so far} over the order's storefront lines, refunds and disputes alike."""
    taken: dict[int, Decimal] = {}
    for line_id, amount in SupplyLineSplit.objects.filter(order_line__order=order).values_list("order_line_id",
                                                                                                 "amount"):
        taken[line_id] = taken.get(line_id, ZERO) + amount
    return taken


def chargeback_line_amounts(order: Order, amount: Decimal) -> dict[int, Decimal]:
    """{line id: part of a disputed ``amount``}: in proportion to what each line (and the shipping) still
    held, to the cent; an amount covering everything takes everything."""
    disputed: dict[int, Decimal] = {}
    for line_id, part in SupplyLineSplit.objects.filter(
            order_line__order=order, source_ref__startswith=DISPUTE_PREFIX).values_list("order_line_id", "amount"):
        disputed[line_id] = disputed.get(line_id, ZERO) + part
    held: dict[int | None, Decimal] = {
        line.pk: max(ZERO, line.line_total - line.refunded_amount - disputed.get(line.pk, ZERO))
        for line in order.lines.order_by("pk")
    }
    shipping_refunded = order.refunds.filter(includes_shipping=True, status=RefundStatus.SUCCEEDED).exists()
    held[None] = ZERO if shipping_refunded else order.shipping_total  # None: the shipping
    total = sum(held.values(), ZERO)
    if total <= 0:
        return {}
    if amount >= total:
        shares = dict(held)
    else:
        exact = {key: amount * value / total for key, value in held.items()}
        shares = {key: value.quantize(CENT, rounding=ROUND_DOWN) for key, value in exact.items()}
        left_over = int((quantize(amount) - sum(shares.values(), ZERO)) / CENT)
        by_remainder = sorted(held, key=lambda key: (-(exact[key] - shares[key]), key is None, key or 0))
        for key in by_remainder[:left_over]:
            shares[key] += CENT
    return {key: value for key, value in shares.items() if key is not None and value > 0}
