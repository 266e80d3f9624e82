"""How money taken back from an order line (a refund or a lost dispute) splits, as the line was paid.

A storefront line was paid as ``line_total = wholesale + margin + fee``. After ``taken`` of it went back, the
brand is owed ``part_left(wholesale)`` and the creator ``part_left(margin)``, each rounded to the currency's
minor unit (a cent; a whole yen for JPY and KRW: ``shop.money.minor_unit``) and computed from everything
taken so far (cumulative), so every refund's and dispute's part is a difference of two cumulative amounts:
their parts add up exactly to what was taken, never exceed the part paid, and are whole minor units, so
each brand reversal converts to the gateway's minor units as it is. The platform's fee is what remains,
so ``line_total − taken = wholesale left + margin left + fee left`` exactly.

Each cause's split is recorded once (``SupplyLineSplit``, by ``refund_splits`` and ``dispute_splits``,
idempotent): the brands' payables (``shop.services.supply_settlement``) and the creator ledger
(``creators.services.ledger``: margins, and a lost dispute's commission base) both read those rows, so
there is one figure for what a cause took of each part.

A dispute names an amount for the whole payment; ``chargeback_line_amounts`` spreads it over what is
still unrefunded of each line and of the shipping, in proportion, to the minor unit (largest remainders).
A dispute's rows cover every line it took from (a line not sold from a listing splits as (0, 0, amount):
it has no wholesale or margin), so an ordinary commission is reversed from the same amounts.
"""

from decimal import ROUND_DOWN, Decimal

from shop.models import Order, OrderLine, Refund, RefundStatus, SupplyLineSplit
from shop.money import minor_unit, quantize_minor
from shop.services.refunded_lines import refunded_by_line

ZERO = Decimal("0.00")
DISPUTE_PREFIX = "dispute:"


REFUND_PREFIX = "refund:"


def part_left(part: Decimal, *, line_total: Decimal, taken: Decimal, currency: str) -> Decimal:
    """What is left of one part of a line (wholesale, margin) once ``taken`` of its net went back: its share,
    rounded to the currency's minor unit, never more than the part (a snapshot that is not whole yen)."""
    if line_total <= 0 or taken >= line_total:
        return ZERO
    if taken <= 0:
        return part
    return min(part, quantize_minor(part * (line_total - taken) / line_total, currency))


def split_taken_back(line: OrderLine, *, before: Decimal, after: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """The (wholesale, margin, fee) parts of what went back of ``line`` as its total taken grew from
    ``before`` to ``after``; they add up to ``after − before`` exactly (the fee takes the rounding)."""
    before, after = min(before, line.line_total), min(after, line.line_total)
    wholesale, margin = (
        part_left(part, line_total=line.line_total, taken=before, currency=line.currency)
        - part_left(part, line_total=line.line_total, taken=after, currency=line.currency)
        for part in (line.wholesale_amount, line.creator_margin))
    return wholesale, margin, after - before - wholesale - margin


def taken_so_far(order: Order) -> dict[int, Decimal]:
    """{line id: net taken back so far} over the order's storefront lines, refunds and disputes alike."""
    taken: dict[int, Decimal] = {}
    for line_id, amount in SupplyLineSplit.objects.filter(order_line__order=order).values_list("order_line_id",
                                                                                                 "amount"):
        taken[line_id] = taken.get(line_id, ZERO) + amount
    return taken


def taken_by_causes(order_id: int, source_refs) -> dict[int, Decimal]:
    """{line id: net amount these causes took back of the line}: refunds (``refund:<id>``) by their refund lines,
    lost disputes (``dispute:<id>``) by their recorded split rows, any line, storefront or not.

    The one answer to "what did earlier causes already take of each line" for every ledger that reverses per
    cause (the creator ledger, readers' rewards): each passes the causes it has already reversed. Other
    references (a ledger's own, or older ones) take nothing. At most two queries, none without causes."""
    refund_ids, dispute_refs = [], []
    for ref in source_refs:
        if ref.startswith(REFUND_PREFIX) and ref[len(REFUND_PREFIX):].isdigit():
            refund_ids.append(int(ref[len(REFUND_PREFIX):]))
        elif ref.startswith(DISPUTE_PREFIX):
            dispute_refs.append(ref)
    taken: dict[int, Decimal] = {}
    rows = []
    if refund_ids:
        rows += [(line_id, refunded.amount)
                 for line_id, refunded in refunded_by_line(order_id, refund_ids=refund_ids).items()]
    if dispute_refs:
        rows += SupplyLineSplit.objects.filter(order_line__order_id=order_id, source_ref__in=dispute_refs).values_list(
            "order_line_id", "amount")
    for line_id, amount in rows:
        taken[line_id] = taken.get(line_id, ZERO) + amount
    return taken


def chargeback_line_amounts(order: Order, amount: Decimal) -> dict[int, Decimal]:
    """{line id: part of a disputed ``amount``}: in proportion to what each line (and the shipping) still
    held, to the currency's minor unit; an amount covering everything takes everything."""
    unit = minor_unit(order.currency)
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
        shares = {key: quantize_minor(value, order.currency, rounding=ROUND_DOWN) for key, value in exact.items()}
        left_over = int((quantize_minor(amount, order.currency) - sum(shares.values(), ZERO)) / unit)
        by_remainder = sorted(held, key=lambda key: (-(exact[key] - shares[key]), key is None, key or 0))
        for key in by_remainder[:left_over]:
            shares[key] += unit
    return {key: value for key, value in shares.items() if key is not None and value > 0}


def record_splits(order: Order, *, source_ref: str, amounts: dict[int, Decimal],
                  storefront_only: bool = True) -> list[SupplyLineSplit]:
    """The split of what ``source_ref`` took back of each line (``amounts``: {line id: net}), recorded once:
    a cause already recorded returns its rows as they are. Cumulative over every earlier cause of the line.

    Refund and dispute events are sent under the payment's row lock, so one order's causes are recorded one at
    a time; the unique (line, cause) refuses a second copy."""
    recorded = list(SupplyLineSplit.objects.filter(order_line__order=order, source_ref=source_ref).order_by("pk"))
    if recorded or not amounts:
        return recorded
    lines = OrderLine.objects.filter(pk__in=list(amounts), order=order).order_by("pk")
    if storefront_only:
        lines = lines.filter(listing__isnull=False)
    before = taken_so_far(order)
    splits = []
    for line in lines:
        taken = before.get(line.pk, ZERO)
        after = min(line.line_total, taken + amounts[line.pk])
        if after <= taken:
            continue
        wholesale, margin, fee = split_taken_back(line, before=taken, after=after)
        splits.append(SupplyLineSplit(order_line=line, source_ref=source_ref, amount=after - taken,
                                      wholesale_part=wholesale, margin_part=margin, fee_part=fee,
                                      currency=line.currency))
    return SupplyLineSplit.objects.bulk_create(splits)


def refund_source(refund: Refund) -> str:
    return f"{REFUND_PREFIX}{refund.pk}"


def dispute_source(dispute_id: str) -> str:
    return f"{DISPUTE_PREFIX}{dispute_id}"[:60]


def refund_splits(order: Order, refund: Refund) -> list[SupplyLineSplit]:
    """What a settled refund took of each storefront line, split (recorded on first use)."""
    if not order.sells_supply:
        return []
    amounts: dict[int, Decimal] = {}
    for line_id, amount in refund.lines.values_list("order_line_id", "amount"):
        amounts[line_id] = amounts.get(line_id, ZERO) + amount
    return record_splits(order, source_ref=refund_source(refund), amounts=amounts)


def dispute_splits(order: Order, *, dispute_id: str, amount: Decimal) -> list[SupplyLineSplit]:
    """What a lost dispute took of every line of the order (storefront or not), split (recorded on first use,
    so the amounts are spread once: a second reader gets the same rows, not a new spread)."""
    source_ref = dispute_source(dispute_id)
    recorded = list(SupplyLineSplit.objects.filter(order_line__order=order, source_ref=source_ref).order_by("pk"))
    if recorded:
        return recorded
    return record_splits(order, source_ref=source_ref, amounts=chargeback_line_amounts(order, amount),
                         storefront_only=False)
