"""``{% buy_url sku creator_id=… page_id=… block_id=… %}``: the signed buy link for server-rendered pages.

    {% load shop_buy %}
    <a href="{% buy_url offer.variant.sku creator_id=creator.pk page_id=page.pk block_id=block.id %}">Buy</a>
"""

from django import template

from shop.attribution import Attribution, buy_path

register = template.Library()


@register.simple_tag
def buy_url(sku: str, *, creator_id: int | None = None, page_id: int | None = None, block_id: str = "") -> str:
    if not sku:
        return ""
    return buy_path(sku, Attribution(creator_id=creator_id, page_id=page_id, block_id=str(block_id or "")))
