"""Plain factory functions shared by every test package. Each returns saved rows with exact values."""

import io
import itertools
import json
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images.models import Image

from content.models import BuyingGuidePage
from content.services.site_tree import ensure_site_tree
from creators.models import CreatorPage, CreatorProfile
from creators.services.onboarding import provision_creator
from shop.models import Brand, Product, ProductAttribute, ProductStatus, Stock, Variant

_sequence = itertools.count(1)


def make_image(title: str = "Test image", *, width: int = 64, height: int = 48) -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), "teal").save(buffer, format="PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name=f"test-{next(_sequence)}.png"))


def make_brand(name: str | None = None) -> Brand:
    number = next(_sequence)
    name = name or f"Brand {number}"
    return Brand.objects.create(name=name, slug=f"brand-{number}")


def make_product(
    *,
    brand: Brand | None = None,
    title: str | None = None,
    variants: list[tuple[str, str, int]] | None = None,
    status: str = ProductStatus.ACTIVE,
    attributes: dict[str, str] | None = None,
    currency: str = "USD",
) -> Product:
    """``variants`` is a list of (sku, price, on_hand); default one variant at 10.00 with 5 on hand."""
    number = next(_sequence)
    brand = brand or make_brand()
    product = Product.objects.create(
        brand=brand, title=title or f"Product {number}", slug=f"product-{number}", status=status
    )
    for position, (sku, price, on_hand) in enumerate(variants or [(f"SKU-{number}", "10.00", 5)]):
        variant = Variant.objects.create(
            product=product, sku=sku, price=Decimal(price), currency=currency, sort_order=position
        )
        Stock.objects.create(variant=variant, on_hand=on_hand)
    for position, (name, value) in enumerate((attributes or {}).items()):
        ProductAttribute.objects.create(product=product, name=name, value=value, sort_order=position)
    return product


def make_user(username: str | None = None, *, password: str = "pass", **extra):
    username = username or f"user{next(_sequence)}"
    user = get_user_model().objects.create_user(username=username, password=password, email=f"{username}@example.com", **extra)
    return user


def make_creator(handle: str | None = None, *, username: str | None = None) -> CreatorProfile:
    handle = handle or f"creator{next(_sequence)}"
    _, index = ensure_site_tree()
    user = make_user(username or handle)
    return provision_creator(user, display_name=handle.title(), handle=handle, index_page=index)


def storefront_of(creator: CreatorProfile) -> CreatorPage:
    return CreatorPage.objects.get(creator=creator)


def block(block_type: str, value, block_id: str | None = None) -> dict:
    return {"type": block_type, "value": value, "id": block_id or str(uuid.uuid4())}


def product_card(product: Product, *, variant: Variant | None = None, note: str = "") -> dict:
    return block("product_card", {"product": product.pk, "variant": variant.pk if variant else None, "note": note})


def make_guide(
    creator: CreatorProfile,
    *,
    title: str = "My picks",
    slug: str | None = None,
    body: list[dict] | None = None,
    publish: bool = True,
) -> BuyingGuidePage:
    # A page created in the tree is live unless told otherwise; drafts start unpublished.
    guide = BuyingGuidePage(
        title=title, slug=slug or f"guide-{next(_sequence)}", body=json.dumps(body or []), live=False
    )
    guide.owner = creator.user
    storefront_of(creator).add_child(instance=guide)
    revision = guide.save_revision(user=creator.user)
    if publish:
        revision.publish()
        guide.refresh_from_db()
    return guide
