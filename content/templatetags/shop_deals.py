from django import template
from django.utils import timezone

from content.api.representation import deal_info as deal_details

register = template.Library()


@register.simple_tag
def deal_info(promotion) -> dict | None:
    """``{% deal_info value.deal as deal %}`` — the deal's price, end, remaining units and whether it is on."""
    return deal_details(promotion, now=timezone.now()) if promotion is not None else None
