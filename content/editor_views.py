"""Small JSON endpoints the page editor's block script reads (``static/content/studio/block_editor.js``).

Staff-only admin URLs (Wagtail's login and ``access_admin`` guard every ``register_admin_urls`` view),
each answered from the same permission policy as the chooser the editor used: a creator previews only
products they may choose (active ones) and images in collections they may choose from.
"""

from django.http import HttpRequest, JsonResponse
from wagtail.images import get_image_model

from content.services.catalog import StreamReferences, load_catalog
from shop.admin_helpers import policy_for
from shop.viewsets import format_money
from shop.models import Product
from shop.permissions import CHOOSE
from shop.services.offers import UNAVAILABLE_MESSAGES, resolve_offer, variant_stock_status

HOTSPOT_IMAGE_SPEC = "max-800x800"


def _not_found(what: str) -> JsonResponse:
    return JsonResponse({"code": "not_found", "message": f"No such {what} you may choose.", "field": None}, status=404)


def product_preview(request: HttpRequest, product_id: int) -> JsonResponse:
    """Image, price, stock, variants and attribute names of a product the user may choose."""
    if not policy_for(Product).instances_user_has_permission_for(request.user, CHOOSE).filter(pk=product_id).exists():
        return _not_found("product")
    product = load_catalog(StreamReferences(product_ids={product_id})).products[product_id]
    offer = resolve_offer(product)
    images = list(product.images.all())
    thumbnail = images[0].image.get_rendition("fill-160x160") if images else None
    return JsonResponse({
        "id": product.pk,
        "title": product.title,
        "brand": product.brand.name,
        "image": {"url": thumbnail.url, "width": thumbnail.width, "height": thumbnail.height} if thumbnail else None,
        "price": format_money(offer.price, offer.currency) if offer.price is not None else None,
        "available": offer.available,
        "stock": str(offer.stock.level.label),
        "unavailable_reason": str(UNAVAILABLE_MESSAGES[offer.unavailable_reason]) if offer.unavailable_reason else "",
        "variants": [
            {"id": variant.pk, "sku": variant.sku, "price": format_money(variant.price, variant.currency),
             "stock": str(variant_stock_status(variant).level.label)}
            for variant in product.variants.all()
        ],
        "attributes": [attribute.name for attribute in product.attributes.all()],
    })


def image_preview(request: HttpRequest, image_id: int) -> JsonResponse:
    """A large rendition of an image the user may choose, to place hotspots on by clicking."""
    images = policy_for(get_image_model()).instances_user_has_any_permission_for(request.user, ["choose"])
    image = images.filter(pk=image_id).first() if isinstance(image_id, int) else None
    if image is None:
        return _not_found("image")
    rendition = image.get_rendition(HOTSPOT_IMAGE_SPEC)
    return JsonResponse({"id": image.pk, "title": image.title, "url": rendition.url, "width": rendition.width,
                         "height": rendition.height})
