"""``{% buy_url sku creator_id=… page_id=… block_id=… %}``: the signed buy link for server-rendered pages.

    {% load shop_buy %}
    <a href="{% buy_url offer.variant.sku creator_id=creator.pk page_id=page.pk block_id=block.id %}">Buy</a>
"""

from django import template
from django.conf import settings

from shop.attribution import Attribution, buy_path, sign_attribution
from shop.services.checkout import shipping_rates
from shop.services.countries import country_name
from shop.services.listing_prices import listing_buy_path
from shop.services.pricing import promotion_buy_path

register = template.Library()


@register.simple_tag
def buy_url(sku: str, *, creator_id: int | None = None, page_id: int | None = None, block_id: str = "",
            deal_id: int | None = None, listing_id: int | None = None) -> str:
    """``deal_id`` (a deal block's promotion) asks the cart for the deal's price: ``…&deal=<id>``."""
    if not sku:
        return ""
    path = buy_path(sku, Attribution(creator_id=creator_id, page_id=page_id, block_id=str(block_id or "")))
    return listing_buy_path(promotion_buy_path(path, deal_id or None), listing_id or None)


@register.simple_tag
def attribution_token(sku: str, *, creator_id: int | None = None, page_id: int | None = None,
                      block_id: str = "") -> str:
    """``{% attribution_token sku creator_id=… page_id=… block_id=… %}``: the signed buy-link token a form
    sends (the group-buy block's "open a team"), so every member of the team credits this page's creator."""
    attribution = Attribution(creator_id=creator_id, page_id=page_id, block_id=str(block_id or ""))
    return "" if not sku or attribution.is_empty() else sign_attribution(attribution, sku=sku)


@register.simple_tag
def group_buy_choices() -> dict:
    """Countries shipped to (by name, with their rate) and whether pickup is offered, for the group-buy forms."""
    countries = sorted(((code, country_name(code), rate) for code, rate in shipping_rates().items()),
                       key=lambda row: row[1])
    return {"countries": countries, "pickup_enabled": settings.KOLSHOP_PICKUP_ENABLED}
