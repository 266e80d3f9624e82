from django import template

from shop.services.offers import Offer, resolve_offer

register = template.Library()


@register.simple_tag
def offer_for(product, variant=None) -> Offer:
    """``{% offer_for value.product value.variant as offer %}`` — live price and stock for a block."""
    return resolve_offer(product, variant)
