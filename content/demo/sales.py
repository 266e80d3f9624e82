"""A few demo sales through the real checkout (dummy gateway), so reports and earnings have numbers.

Each demo reader follows the creator's tracked link first, counted as the click view counts it, so
every attributed sale has the click that led to it (as in the product)."""

from content.models import BuyingGuidePage
from creators.models import LinkTarget
from creators.services.links import create_tracked_link, record_click
from shop.attribution import Attribution
from shop.models import Order, Variant
from shop.services.cart import add_to_cart, create_cart
from shop.services.checkout import confirm_payment, start_checkout
from shop.services.offers import available_quantity, with_availability

SALES_PER_GUIDE = 6
DEMO_READER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def load_sales() -> int:
    """Six pickup orders through each demo guide's product card; only on a shop with no orders yet."""
    if Order.objects.exists():
        return 0
    sold = 0
    for guide in BuyingGuidePage.objects.live().order_by("pk"):
        block, variant = _block_with_stock(guide)
        if block is None:
            continue
        sku = variant.sku
        link = create_tracked_link(guide.creator, target_kind=LinkTarget.PRODUCT, product=variant.product,
                                   page=guide, block_id=block.id, label="Demo")
        for number in range(SALES_PER_GUIDE):
            click = record_click(link, ip=f"192.0.2.{number + 1}", user_agent=DEMO_READER_AGENT)
            attribution = Attribution(creator_id=guide.creator_id, page_id=guide.pk, block_id=block.id,
                                      click_id=click.pk)
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
    """The guide's first product card or deal, and its variant, with stock for every demo sale."""
    for block in guide.body:
        if block.block_type == "deal":
            skus = [block.value["deal"].variant.sku] if block.value["deal"] is not None else []
        elif block.block_type == "product_card" and block.value["variant"] is not None:
            skus = [block.value["variant"].sku]
        elif block.block_type == "product_card":
            skus = [variant.sku for variant in block.value["product"].variants.all()]
        else:
            continue
        for variant in with_availability(Variant.objects.filter(sku__in=skus).select_related("product").order_by("pk")):
            if available_quantity(variant) >= SALES_PER_GUIDE:
                return block, variant
    return None, None

