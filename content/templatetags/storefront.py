"""The storefront's product grid: what a creator features is what their published pages sell."""

from django import template

register = template.Library()

FEATURED_PRODUCTS = 8


def _products_in(value) -> list:
    """Products a block's value shows (product cards and grids, comparisons, hotspots), in order."""
    found = []
    if hasattr(value, "get"):
        if value.get("product") is not None:
            found.append(value["product"])
        for product in value.get("products") or []:
            if product is not None:
                found.append(product)
        for spot in value.get("hotspots") or []:
            if spot.get("product") is not None:
                found.append(spot["product"])
    return found


@register.simple_tag
def featured_products(pages, limit: int = FEATURED_PRODUCTS) -> list:
    """``{% featured_products published_pages as products %}``: distinct products, newest pages first."""
    seen, products = set(), []
    for page in pages:
        for block in getattr(page, "body", None) or []:
            for product in _products_in(block.value):
                if product.pk not in seen:
                    seen.add(product.pk)
                    products.append(product)
                if len(products) >= limit:
                    return products
    return products
