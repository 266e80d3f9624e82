"""A storefront-listing block as readers see it: the variant's offer at the listing's price.

The price comes from ``price_line`` with the listing (the one pricing authority); buy links carry
``?listing=<id>`` so the cart prices the line by the listing too.
"""

from django.utils import timezone

from content.api.representation import decimal_string, offer_representation
from shop.models import StorefrontListing
from shop.services.listing_prices import listing_buy_path
from shop.services.pricing import price_line


def listing_info(listing: StorefrontListing, *, now) -> dict:
    """``active`` when ``price_line`` prices one unit with the listing now (live, in its period and bounds)."""
    variant = listing.offer.variant
    price = price_line(variant, quantity=1, now=now, listing=listing)
    return {
        "id": listing.pk,
        "creator_id": listing.creator_id,
        "price": decimal_string(price.unit_price),
        "list_price": decimal_string(price.list_unit_price),
        "currency": price.currency,
        "active": price.listing is not None,
        "refusal": price.refusal,
    }


def listing_representation(listing: StorefrontListing | None, context: dict | None) -> dict:
    variant = listing.offer.variant if listing is not None else None
    representation = offer_representation(variant.product if variant is not None else None, variant, context)
    if listing is None:
        return {**representation, "listing": None}
    info = listing_info(listing, now=timezone.now())
    if not info["active"]:
        return {**representation, "buy_url": None, "listing": info}
    for item in [representation["variant"], *representation["variants"]]:
        if item is not None and item["id"] == variant.pk and item["buy_url"]:
            item["buy_url"] = listing_buy_path(item["buy_url"], listing.pk)
    if representation["buy_url"]:
        representation["buy_url"] = listing_buy_path(representation["buy_url"], listing.pk)
    return {**representation, "listing": info}
