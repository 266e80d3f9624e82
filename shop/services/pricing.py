"""The price of a line: the one function that decides it, and what a promotion has left to sell.

``price_line`` prices a line from the catalog and the promotion the line carries. The cart
(``fetch_cart``), checkout (order lines, so the order total, the PaymentIntent amount,
commissions and reports, which all follow line totals), the content API's deal blocks and the
reader site all call it. A promotion applies to the whole line or not at all:

- outside ``[starts_at, ends_at)`` it does not apply (reason ``not_started`` / ``ended``);
- when the line's quantity no longer fits under ``unit_cap`` (reason ``sold_out``);
- when the buyer (by order email, case-insensitive) would pass ``per_buyer_limit`` (reason
  ``buyer_limit``; only known at checkout, when the buyer has given their email).

"Used" units are defined once, in ``used_promotion_lines``: lines of pending orders whose
reservation is still live, plus paid, fulfilled and partially refunded orders, plus the orders of
a filled group-buy team waiting for their capture. Cancelled and expired (and fully refunded)
orders give their units back.

A late payment (one whose order no longer holds its units: its reservation ran out or the order
was cancelled) keeps its promotional price only when a checkout made at that moment would get it
(``lapsed_promotion_lines``): the promotion still runs, its cap has room and the buyer is within
their limit. Otherwise the payment buys nothing and is refunded in full, as when the stock ran out.

Checkout locks the promotion rows (``lock_promotions``, primary-key order) after the cart and
voucher rows and before the stock rows, so caps and per-buyer limits hold under concurrency.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from shop.models import GroupTeamStatus, Order, OrderLine, OrderStatus, Promotion, PromotionKind, StorefrontListing, Variant
from shop.money import quantize
from shop.services.buyer_identity import ordered_by
from shop.services.listing_prices import SupplySplit, listing_refusal, listing_unit_price, split_line

# Order states whose promotional lines hold their units (pending ones only while their reservation lives).
_HOLDING_STATUSES = [OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED]


class PromotionRefusal:
    """Why a promotion did not price a line."""

    NOT_STARTED = "not_started"
    ENDED = "ended"
    SOLD_OUT = "sold_out"
    BUYER_LIMIT = "buyer_limit"
    OTHER_VARIANT = "other_variant"
    GROUP_ONLY = "group_only"  # a group price prices only a group-buy team member's line


@dataclass(frozen=True)
class LinePrice:
    unit_price: Decimal
    list_unit_price: Decimal
    currency: str
    quantity: int
    promotion: Promotion | None = None
    refusal: str | None = None  # set when a promotion (or a listing) was asked for and did not apply
    listing: StorefrontListing | None = None  # the storefront listing pricing the line, when it applies

    @property
    def line_total(self) -> Decimal:
        return quantize(self.unit_price * self.quantity)

    def supply_split(self, *, line_total: Decimal | None = None) -> SupplySplit | None:
        """A listing line's split of ``line_total`` (default: the undiscounted total); None otherwise."""
        if self.listing is None:
            return None
        total = self.line_total if line_total is None else line_total
        return split_line(self.listing.offer, line_total=total, quantity=self.quantity)


@dataclass(frozen=True)
class PromotionUsage:
    """Units used per promotion id, by everyone and by one buyer (empty when no buyer is known)."""

    units_used: dict[int, int] = field(default_factory=dict)
    buyer_units_used: dict[int, int] = field(default_factory=dict)


def used_promotion_lines(now: datetime) -> Q:
    """The one definition of "used": a filter on OrderLine for lines that hold promotional units."""
    return (Q(order__status__in=_HOLDING_STATUSES)
            | Q(order__status__in=[OrderStatus.PENDING, OrderStatus.AWAITING_GROUP], order__reserved_until__gt=now)
            # A filled team's members were promised the group price: their units stay theirs until the
            # capture pays (or fails) them, even when it runs past the team's deadline.
            | Q(order__status=OrderStatus.AWAITING_GROUP, order__group_member__team__status=GroupTeamStatus.FILLED))


def _used_lines(now: datetime, *, exclude_cart_id: int | None) -> QuerySet:
    lines = OrderLine.objects.filter(used_promotion_lines(now), promotion__isnull=False)
    if exclude_cart_id is not None:
        # The cart's own pending order is replaced when it checks out again: don't count it twice.
        lines = lines.exclude(order__cart_id=exclude_cart_id, order__status=OrderStatus.PENDING)
    return lines


def units_used_annotation(now: datetime):
    """For Promotion querysets: the units ``used_promotion_lines`` holds (0 when none)."""
    summed = (
        _used_lines(now, exclude_cart_id=None).filter(promotion_id=OuterRef("pk"))
        .order_by().values("promotion_id").annotate(total=Sum("quantity")).values("total")
    )
    return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))


def with_usage(promotions: QuerySet, *, now: datetime) -> QuerySet:
    return promotions.annotate(units_used=units_used_annotation(now))


def promotion_usage(
    promotion_ids: Iterable[int], *, now: datetime, buyer: str = "", exclude_cart_id: int | None = None,
    buyer_key: str | None = None,
) -> PromotionUsage:
    """Units used per promotion (one query), and by ``buyer``'s email (one more query when given).
    ``buyer_key``: that buyer's key when the caller computed it already."""
    ids = sorted(set(promotion_ids))
    if not ids:
        return PromotionUsage()
    lines = _used_lines(now, exclude_cart_id=exclude_cart_id).filter(promotion_id__in=ids).order_by()
    totals = lines.values("promotion_id").annotate(total=Sum("quantity")).values_list("promotion_id", "total")
    by_buyer = {}
    if buyer:
        by_buyer = dict(
            lines.filter(ordered_by(buyer, key=buyer_key))
            .values("promotion_id").annotate(total=Sum("quantity")).values_list("promotion_id", "total")
        )
    return PromotionUsage(units_used=dict(totals), buyer_units_used=by_buyer)


def lock_promotions(promotion_ids: Iterable[int]) -> dict[int, Promotion]:
    """Lock promotion rows in primary-key order (after cart and voucher, before stock rows)."""
    ids = sorted(set(promotion_ids))
    if not ids:
        return {}
    return {promotion.pk: promotion
            for promotion in Promotion.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def remaining_units(promotion: Promotion, *, units_used: int) -> int | None:
    """Units still sellable at the promotional price; ``None`` when the promotion has no cap."""
    if promotion.unit_cap is None:
        return None
    return max(promotion.unit_cap - units_used, 0)


def is_running(promotion: Promotion, *, now: datetime) -> bool:
    return promotion.starts_at <= now < promotion.ends_at


def _refusal(promotion: Promotion, variant: Variant, *, quantity: int, now: datetime,
             units_used: int, buyer_units_used: int | None, group_member: bool = False) -> str | None:
    if promotion.variant_id != variant.pk or promotion.currency != variant.currency:
        return PromotionRefusal.OTHER_VARIANT
    if (promotion.kind == PromotionKind.GROUP) != group_member:
        return PromotionRefusal.GROUP_ONLY
    if now < promotion.starts_at:
        return PromotionRefusal.NOT_STARTED
    if now >= promotion.ends_at:
        return PromotionRefusal.ENDED
    if promotion.unit_cap is not None and units_used + quantity > promotion.unit_cap:
        return PromotionRefusal.SOLD_OUT
    if (promotion.per_buyer_limit is not None and buyer_units_used is not None
            and buyer_units_used + quantity > promotion.per_buyer_limit):
        return PromotionRefusal.BUYER_LIMIT
    return None


def listing_quote_holds(price: LinePrice, *, quoted_unit_price: Decimal | None) -> bool:
    """Whether a cart line a storefront listing priced may be charged ``price`` (checkout asks this).

    The listing must still price the line, at the unit price the cart quoted when the reader added it:
    a reseller listing paused by new bounds and an agency offer whose brand changed the recommended
    price both answer no (409 ``price_changed``); lines from before quotes were kept (none) only need
    the listing to price them."""
    if price.listing is None:
        return False
    return quoted_unit_price is None or price.unit_price == quoted_unit_price


def price_line(
    variant: Variant,
    *,
    quantity: int,
    now: datetime,
    promotion: Promotion | None = None,
    usage: PromotionUsage | None = None,
    buyer_known: bool = False,
    group_member: bool = False,
    listing: StorefrontListing | None = None,
) -> LinePrice:
    """The unit price of ``quantity`` × ``variant``: the promotion's price when it applies, else the list price.

    ``usage`` gives the units the promotion has already used (``promotion_usage``); without it the
    promotion's ``units_used`` annotation (``with_usage``) is read. The per-buyer limit is checked
    only when ``buyer_known`` (checkout, where ``usage`` was counted for the buyer's email).
    A group price (kind ``group``) applies only to a group-buy member's line (``group_member``,
    ``shop.services.groupbuy``), and only a group price does.

    A creator's storefront ``listing`` (``shop.models.supply``) prices the line at the listing's price
    (reseller) or the offer's recommended price (agency) while it is live, its offer runs and the
    price is within the bounds in force (``shop.services.listing_prices``); a listing line takes no
    promotion. A refused listing leaves the list price and says why in ``refusal``.
    """
    list_price = LinePrice(unit_price=variant.price, list_unit_price=variant.price, currency=variant.currency,
                           quantity=quantity)
    if listing is not None:
        refusal = listing_refusal(listing, variant, now=now)
        if refusal is not None:
            return LinePrice(unit_price=variant.price, list_unit_price=variant.price, currency=variant.currency,
                             quantity=quantity, refusal=refusal)
        return LinePrice(unit_price=listing_unit_price(listing), list_unit_price=variant.price,
                         currency=variant.currency, quantity=quantity, listing=listing)
    if promotion is None:
        return list_price
    if usage is not None:
        units_used = usage.units_used.get(promotion.pk, 0)
    else:
        units_used = getattr(promotion, "units_used", 0)
    buyer_units_used = usage.buyer_units_used.get(promotion.pk, 0) if (usage is not None and buyer_known) else None
    refusal = _refusal(promotion, variant, quantity=quantity, now=now, units_used=units_used,
                       buyer_units_used=buyer_units_used, group_member=group_member)
    if refusal is not None:
        return LinePrice(unit_price=variant.price, list_unit_price=variant.price, currency=variant.currency,
                         quantity=quantity, refusal=refusal)
    return LinePrice(unit_price=promotion.price, list_unit_price=variant.price, currency=variant.currency,
                     quantity=quantity, promotion=promotion)


@dataclass(frozen=True)
class LapsedLine:
    """A line of a late payment whose promotional price a checkout made now would no longer get."""

    line: OrderLine
    refusal: str


def lapsed_promotion_lines(order: Order, lines: list[OrderLine], *, now: datetime) -> list[LapsedLine]:
    """The promotional lines a payment arriving now may not keep; empty when the payment is honoured.

    The one rule for late payments of every promotion kind (deal, flash, group). An order whose
    units are still held (``used_promotion_lines``: a live reservation, a paid order, a filled team)
    was counted under the caps all along, so its price stands, even past the promotion's end (a
    hold made in time is honoured). An order that lost its hold is priced again like a new
    checkout: under the promotion row locks (taken after the order row, before stock, as checkout
    takes them), counting everyone else's units and the buyer's. A cap is the brand's promise of
    how many units sell at that price and readers were shown what was left, so a lapsed line is not
    honoured past it: the caller refunds the payment in full instead (``shop.services.payments``).
    Costs nothing without promotional lines, one query when the hold stands, four when it lapsed.
    """
    promotional = [line for line in lines if line.promotion_id is not None]
    if not promotional:
        return []
    if OrderLine.objects.filter(used_promotion_lines(now), order=order, promotion__isnull=False).exists():
        return []
    locked = lock_promotions(line.promotion_id for line in promotional)
    # The same cart's pending checkout is cancelled when this order is paid (a cart buys once): not counted.
    usage = promotion_usage(locked, now=now, buyer=order.email, exclude_cart_id=order.cart_id)
    variants = Variant.objects.in_bulk({line.variant_id for line in promotional if line.variant_id is not None})
    lapsed = []
    for line in promotional:
        promotion, variant = locked.get(line.promotion_id), variants.get(line.variant_id)
        if promotion is None or variant is None:
            lapsed.append(LapsedLine(line=line, refusal=PromotionRefusal.OTHER_VARIANT))
            continue
        price = price_line(variant, quantity=line.quantity, now=now, promotion=promotion, usage=usage,
                           buyer_known=True, group_member=promotion.kind == PromotionKind.GROUP)
        if price.promotion is None:
            lapsed.append(LapsedLine(line=line, refusal=price.refusal))
            continue
        # Two lines on one promotion: the second counts the first's units.
        usage.units_used[promotion.pk] = usage.units_used.get(promotion.pk, 0) + line.quantity
        usage.buyer_units_used[promotion.pk] = usage.buyer_units_used.get(promotion.pk, 0) + line.quantity
    return lapsed


def promotion_buy_path(path: str, promotion_id: int | None) -> str:
    """A buy link (``shop.attribution.buy_path``) that also asks for a promotion: ``…&deal=<id>``."""
    if promotion_id is None:
        return path
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urlencode({'deal': promotion_id})}"
