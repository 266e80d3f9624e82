"""Checkout's part of distribution: listing lines priced under lock, split snapshots, brand groups.

``shop.services.checkout`` calls these only when the cart holds storefront-listing lines, so an
ordinary checkout runs the same queries as before. Under the checkout transaction the listing rows
are locked (primary-key order, after the promotions and before the stock rows; an offer change
locks the same rows) and each line is priced again by ``price_line``: a listing that stopped
pricing its line since the cart showed it (paused by a brand's change of bounds, ended, ...)
answers 409 ``price_changed`` and nothing is placed; the lines lose the listing, so the cart shows
what a new checkout would charge. So does a listing that prices the line at another price than the
cart quoted (an agency offer's new recommended price; ``pricing.listing_quote_holds``): such lines
keep the listing and take the new price as their quote (``checkout_prices.mend_refused_lines``).
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
    def __init__(self, sku: str, *, requotes: dict[int, Decimal | None], seen: dict[int, dict]):
        super().__init__(f"The price of {sku} has changed in this storefront. Check your cart and order again.",
                         code="price_changed", field="sku")
        # line id -> the listing's new unit price, or None where the listing no longer prices the line
        self.requotes = requotes
        # line id -> its listing, quote and quantity as checkout priced them (what the mend may change)
        self.seen = seen


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
        raise ListingPriceChanged(
            changed[0][0].sku,
            requotes={line.line.pk: price.unit_price if price.listing is not None else None for line, price in changed},
            seen={line.line.pk: {"listing_id": line.line.listing_id, "quoted_unit_price": line.line.quoted_unit_price,
                                 "quantity": line.quantity} for line, _price in changed})
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
