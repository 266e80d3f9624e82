"""``{% buy_url sku creator_id=… page_id=… block_id=… %}``: the signed buy link for server-rendered pages.

    {% load shop_buy %}
    <a href="{% buy_url offer.variant.sku creator_id=creator.pk page_id=page.pk block_id=block.id %}">Buy</a>
"""

from django import template

from shop.attribution import Attribution, buy_path
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
