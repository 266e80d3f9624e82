"""The storefront's product grid: what a creator features is what their published pages sell."""

from django import template
from wagtail.images import get_image_model

from content.services.catalog import prefetch_streams

register = template.Library()

FEATURED_PRODUCTS = 8
GUIDE_CARD_IMAGE = "fill-400x400"  # the rendition the storefront's guide cards show


@register.simple_tag
def storefront_pages(pages) -> list:
    """``{% storefront_pages published_pages as pages %}``: the pages with their hero images (and card
    renditions) in one query and every body's catalog in one snapshot, so six guides cost what two do."""
    pages = list(pages)
    hero_ids = {page.hero_image_id for page in pages if getattr(page, "hero_image_id", None)}
    heroes = get_image_model().objects.prefetch_renditions(GUIDE_CARD_IMAGE).in_bulk(hero_ids) if hero_ids else {}
    for page in pages:
        if getattr(page, "hero_image_id", None) in heroes:
            page.hero_image = heroes[page.hero_image_id]
    prefetch_streams([getattr(page, "body", None) for page in pages])
    return pages


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


def _with_card_images(products: list) -> list:
    """Each product's first image with its card rendition: two queries for all the products."""
    first_images = [images[0] for images in (list(product.images.all()) for product in products) if images]
    image_ids = {product_image.image_id for product_image in first_images}
    if image_ids:
        loaded = get_image_model().objects.prefetch_renditions(GUIDE_CARD_IMAGE).in_bulk(image_ids)
        for product_image in first_images:
            if product_image.image_id in loaded:
                product_image.image = loaded[product_image.image_id]
    return products


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
                    return _with_card_images(products)
    return _with_card_images(products)
