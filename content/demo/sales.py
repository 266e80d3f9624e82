"""A few demo sales through the real checkout (dummy gateway), so reports and earnings have numbers."""

from content.models import BuyingGuidePage
from shop.attribution import Attribution
from shop.models import Order, Variant
from shop.services.cart import add_to_cart, create_cart
from shop.services.checkout import confirm_payment, start_checkout
from shop.services.offers import available_quantity, with_availability

SALES_PER_GUIDE = 6


def load_sales() -> int:
    """Six pickup orders through each demo guide's product card; only on a shop with no orders yet."""
    if Order.objects.exists():
        return 0
    sold = 0
    for guide in BuyingGuidePage.objects.live().order_by("pk"):
        block, sku = _block_with_stock(guide)
        if block is None:
            continue
        attribution = Attribution(creator_id=guide.creator_id, page_id=guide.pk, block_id=block.id)
        for number in range(SALES_PER_GUIDE):
            cart = create_cart()
            add_to_cart(cart, sku=sku, quantity=1, attribution=attribution, promotion_id=_deal_id(block, sku),
                        accept_list_price=True)
            result = start_checkout(cart, email=f"demo-reader-{guide.pk}-{number}@kolshop.example", fulfilment="pickup")
            confirm_payment(result.order)
            sold += 1
    return sold


def _deal_id(block, sku: str) -> int | None:
    """A deal block's sales go through its deal, as the block's buy link does."""
    deal = block.value["deal"] if block.block_type == "deal" else None
    return deal.pk if deal is not None and deal.variant.sku == sku else None


def _block_with_stock(guide: BuyingGuidePage):
    """The guide's first product card or deal whose variant has stock for every demo sale."""
    for block in guide.body:
        if block.block_type == "deal":
            skus = [block.value["deal"].variant.sku] if block.value["deal"] is not None else []
        elif block.block_type == "product_card" and block.value["variant"] is not None:
            skus = [block.value["variant"].sku]
        elif block.block_type == "product_card":
            skus = [variant.sku for variant in block.value["product"].variants.all()]
        else:
            continue
        for variant in with_availability(Variant.objects.filter(sku__in=skus).order_by("pk")):
            if available_quantity(variant) >= SALES_PER_GUIDE:
                return block, variant.sku
    return None, None

