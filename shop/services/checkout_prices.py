"""Checkout's second look at each line's price, and the cart it leaves after a refusal.

Checkout never charges a price other than the one the cart showed. Under its locks it prices each deal line again
(``price_promotions``) and each storefront line (``supply_checkout.price_listing_lines``); when one no longer holds
it answers 409 ``price_changed``, places nothing, and after the rollback mends those lines
(``mend_refused_lines``) so the cart shows what the next checkout charges: a deal line loses its deal, a listing
line takes the listing's new price as its quote or, where the listing no longer prices it, loses the listing.

A mend changes a line only as the refusal saw it (its deal or listing, quote and quantity): the buyer may change
the line between the rollback and the mend (re-add it with a deal that applies, a new listing), and that line is
theirs, not the refusal's.
"""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from shop.errors import Conflict, NotFound
from shop.models import Cart, CartLine
from shop.services.cart import CartInfo, CartLineInfo, lock_cart, reprice_cart
from shop.services.pricing import PromotionRefusal, lock_promotions, promotion_usage
from shop.services.supply_checkout import ListingPriceChanged


class PriceChanged(Conflict):
    """A deal line's promotion stopped applying since the cart showed it. ``seen``: each such line's deal and
    quantity as checkout priced them (what the mend may change)."""

    def __init__(self, sku: str, seen: Mapping[int, dict]):
        super().__init__(f"The price of {sku} has changed: the deal is over. Check your cart and order again.",
                         code="price_changed", field="sku")
        self.seen = dict(seen)


def price_promotions(info: CartInfo, *, email: str, key: str, now: datetime) -> CartInfo:
    """Lock the lines' promotions and price the lines again, counting units used by everyone and this buyer."""
    locked = lock_promotions(line.line.promotion_id for line in info.lines if line.line.promotion_id is not None)
    gone = [line for line in info.lines if line.line.promotion_id is not None and line.line.promotion_id not in locked]
    if gone:  # a deal deleted since the cart was read: over, as an ended one is
        raise PriceChanged(gone[0].sku, {line.line.pk: _deal_seen(line) for line in gone})
    if not locked:
        return info
    for line in info.lines:
        if line.line.promotion_id is not None:
            line.line.promotion = locked[line.line.promotion_id]
    info = reprice_cart(info, usage=promotion_usage(locked, now=now, buyer=email, buyer_key=key), now=now)
    refused = [line for line in info.lines if line.line.promotion_id is not None and line.promotion is None]
    changed = [line for line in refused if line.price.refusal != PromotionRefusal.BUYER_LIMIT]
    if changed:
        raise PriceChanged(changed[0].sku, {line.line.pk: _deal_seen(line) for line in changed})
    if refused:
        limit = refused[0].line.promotion.per_buyer_limit
        raise Conflict(f"You can buy at most {limit} of {refused[0].sku} at the deal price.",
                       code="promotion_limit", field="quantity")
    return info


def _deal_seen(line: CartLineInfo) -> dict:
    return {"promotion_id": line.line.promotion_id, "quantity": line.quantity}


def mend_refused_lines(cart: Cart | str, error: PriceChanged | ListingPriceChanged) -> None:
    """After the refused checkout's rollback, write its lines under the cart's row lock, as every other writer of
    lines takes it first (changes to the cart, the payment that deletes the lines it bought). Without it, a reset
    and the payment of the cart's earlier order locked the lines in the orders of their plans (a table scan, the
    cart's index) and PostgreSQL aborted one as a deadlock. A cart gone meanwhile has no lines to mend: the buyer
    still gets the refusal, not a 404."""
    with transaction.atomic():
        try:
            lock_cart(cart)
        except NotFound:
            return
        if isinstance(error, PriceChanged):
            _lines_as_seen(error.seen).update(promotion=None)
        else:
            _requote_lines(error)


def _requote_lines(error: ListingPriceChanged) -> None:
    """Lines whose listing still sells take its new price as their quote; the others lose the listing."""
    dropped = {line_id: error.seen[line_id] for line_id, price in error.requotes.items() if price is None}
    if dropped:
        _lines_as_seen(dropped).update(listing=None, quoted_unit_price=None)
    for line_id, price in sorted(error.requotes.items()):
        if price is not None:
            _lines_as_seen({line_id: error.seen[line_id]}).update(quoted_unit_price=price)


def _lines_as_seen(seen: Mapping[int, dict]) -> QuerySet:
    """The cart lines with these keys that still hold the values the refusal saw (``None``: still unset)."""
    matches = Q(pk__in=[])
    for line_id, values in sorted(seen.items()):
        matches |= Q(pk=line_id, **values)
    return CartLine.objects.filter(matches)

