"""Checkout's part of distribution: listing lines priced under lock, split snapshots, brand groups.

``shop.services.checkout`` calls these only when the cart holds storefront-listing lines, so an
ordinary checkout runs the same queries as before. Under the checkout transaction the listing rows
are locked (primary-key order, after the promotions and before the stock rows; an offer change
locks the same rows) and each line is priced again by ``price_line``: a listing that stopped
pricing its line since the cart showed it (paused by a brand's change of bounds, ended, ...)
answers 409 ``price_changed`` and nothing is placed; the lines lose the listing, so the cart shows
what a new checkout would charge. So does a listing that prices the line at another price than the
cart quoted (an agency offer's new recommended price; ``pricing.listing_quote_holds``): such lines
keep the listing and take the new price as their quote (``requote_lines``).
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from shop.errors import Conflict
from shop.models import CartLine, StorefrontListing
from shop.services.cart import CartInfo
from shop.services.listing_prices import split_discounted
from shop.services.pricing import LinePrice, listing_quote_holds, price_line


class ListingPriceChanged(Conflict):
    def __init__(self, sku: str, line_ids: list[int], *, requotes: dict[int, Decimal | None] | None = None):
        super().__init__(f"The price of {sku} has changed in this storefront. Check your cart and order again.",
                         code="price_changed", field="sku")
        self.line_ids = line_ids
        # line id -> the listing's new unit price, or None where the listing no longer prices the line
        self.requotes = requotes if requotes is not None else dict.fromkeys(line_ids)


def requote_lines(error: ListingPriceChanged) -> None:
    """After a 409: lines whose listing still sells take its new price as their quote; the others lose
    the listing. The cart then shows, and the next checkout charges, what a new checkout would."""
    dropped = [line_id for line_id, price in error.requotes.items() if price is None]
    if dropped:
        CartLine.objects.filter(pk__in=dropped).update(listing=None, quoted_unit_price=None)
    for line_id, price in sorted(error.requotes.items()):
        if price is not None:
            CartLine.objects.filter(pk=line_id).update(quoted_unit_price=price)


def has_listing_lines(info: CartInfo) -> bool:
    return any(line.line.listing_id is not None for line in info.lines)


def lock_listings(listing_ids: Iterable[int]) -> dict[int, StorefrontListing]:
    ids = sorted(set(listing_ids))
    return {listing.pk: listing for listing in
            StorefrontListing.objects.select_for_update().select_related("offer").filter(pk__in=ids).order_by("pk")}


def price_listing_lines(info: CartInfo, *, now: datetime) -> CartInfo:
    """The lines with their listings locked and priced again; 409 ``price_changed`` when one no longer prices."""
    if not has_listing_lines(info):
        return info
    locked = lock_listings(line.line.listing_id for line in info.lines if line.line.listing_id is not None)
    lines, changed = [], []
    for line in info.lines:
        if line.line.listing_id is None:
            lines.append(line)
            continue
        line.line.listing = locked.get(line.line.listing_id)
        price = price_line(line.variant, quantity=line.quantity, now=now, listing=line.line.listing)
        if not listing_quote_holds(price, quoted_unit_price=line.line.quoted_unit_price):
            changed.append((line, price))
        lines.append(replace(line, unit_price=price.unit_price, line_total=price.line_total, price=price))
    if changed:
        raise ListingPriceChanged(changed[0][0].sku, [line.line.pk for line, _price in changed],
                                  requotes={line.line.pk: price.unit_price if price.listing is not None else None
                                            for line, price in changed})
    return replace(info, lines=lines)


def supply_line_fields(price: LinePrice, *, discount: Decimal, funder: str | None) -> dict:
    """An order line's distribution snapshots: the listing, the bounds in force and the split of what the buyer
    paid, the voucher's ``discount`` taken off its ``funder``'s part (``listing_prices.split_discounted``)."""
    if price is None or price.listing is None:
        return {}
    split = split_discounted(price.supply_split(), discount=discount, funder=funder)
    listing = price.listing
    return {
        "listing": listing, "wholesale_amount": split.wholesale, "creator_margin": split.margin,
        "platform_fee": split.fee, "price_floor": listing.price_floor, "price_ceiling": listing.price_ceiling,
    }
