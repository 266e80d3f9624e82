from django import template
from django.utils import timezone

from content.api.listing_representation import listing_info as listing_details

register = template.Library()


@register.simple_tag
def listing_info(listing) -> dict | None:
    """``{% listing_info value.listing as listing %}`` — the listing's price and whether it sells now."""
    return listing_details(listing, now=timezone.now()) if listing is not None else None
