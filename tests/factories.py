"""Plain factory functions shared by every test package. Each returns saved rows with exact values."""

import io
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from PIL import Image as PILImage
from wagtail.images.models import Image

from content.models import BuyingGuidePage
from content.services.site_tree import ensure_site_tree
from creators.models import CreatorPage, CreatorProfile
from creators.services.onboarding import provision_creator
from creators.services.roles import EDITORS_GROUP_NAME, add_brand_member
from shop.models import Brand, Product, ProductAttribute, ProductImage, ProductStatus, Promotion, Stock, Variant
from shop.services.brand_access import BRANDS_GROUP_NAME

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


def make_editor(username: str | None = None):
    """An editor as the product makes one: a user in the Editors group (``creators.services.roles``)."""
    user = make_user(username)
    user.groups.add(Group.objects.get(name=EDITORS_GROUP_NAME))
    return user


def make_brand_user(username: str | None = None, *, brand: Brand | None = None, password: str = "pass"):
    """A brand user as the product makes one: in the Brands group and, given a brand, its member
    (``creators.services.roles.add_brand_member``); without one, a brand user acting for no brand yet."""
    user = make_user(username, password=password)
    if brand is None:
        user.groups.add(Group.objects.get(name=BRANDS_GROUP_NAME))
    else:
        add_brand_member(user, brand=brand)
    return user


def logged_in(user) -> Client:
    """A test client signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


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


def _list_items(values: list) -> list[dict]:
    return [{"type": "item", "value": value, "id": str(uuid.uuid4())} for value in values]


def product_grid(items: list[tuple[Product, Variant | None, str]], *, title: str = "", layout: str = "grid") -> dict:
    """``items`` are (product, variant or None, caption)."""
    return block("product_grid", {
        "title": title,
        "layout": layout,
        "items": _list_items([
            {"product": product.pk, "variant": variant.pk if variant else None, "caption": caption}
            for product, variant, caption in items
        ]),
    })


def comparison_table(products: list[Product], *, attributes: list[str], title: str = "", show_price: bool = True) -> dict:
    return block("comparison_table", {
        "title": title,
        "products": _list_items([product.pk for product in products]),
        "attributes": _list_items(attributes),
        "show_price": show_price,
    })


def shop_the_look(image: Image, hotspots: list[tuple[Product, Variant | None, str, str, str]], *, caption: str = "") -> dict:
    """``hotspots`` are (product, variant or None, x, y, label) with x/y as decimal strings."""
    return block("shop_the_look", {
        "image": image.pk,
        "caption": caption,
        "hotspots": _list_items([
            {"product": product.pk, "variant": variant.pk if variant else None, "x": x, "y": y, "label": label}
            for product, variant, x, y, label in hotspots
        ]),
    })


def make_deal(variant: Variant, *, price: str, starts_at: datetime | None = None, ends_at: datetime | None = None,
              unit_cap: int | None = None, per_buyer_limit: int | None = None, name: str = "") -> Promotion:
    """A deal on ``variant``: by default it started an hour ago and ends in a day."""
    now = timezone.now()
    return Promotion.objects.create(
        name=name or f"Deal {next(_sequence)}", variant=variant, price=Decimal(price), currency=variant.currency,
        starts_at=starts_at or now - timedelta(hours=1), ends_at=ends_at or now + timedelta(days=1),
        unit_cap=unit_cap, per_buyer_limit=per_buyer_limit,
    )


def deal(product: Product, *, deal_price: str, ends_at: str, variant: Variant | None = None, note: str = "",
         unit_cap: int | None = None) -> dict:
    """A deal block on a new deal for ``variant`` (else the product's cheapest variant), running since 2020."""
    variant = variant or min(product.variants.all(), key=lambda item: (item.price, item.pk))
    promotion = make_deal(variant, price=deal_price, starts_at=datetime(2020, 1, 1, tzinfo=UTC),
                          ends_at=parse_datetime(ends_at), unit_cap=unit_cap)
    return block("deal", {"deal": promotion.pk, "note": note})


def add_product_image(product: Product, image: Image | None = None, *, alt_text: str = "") -> ProductImage:
    image = image or make_image(f"{product.title} photo")
    return ProductImage.objects.create(product=product, image=image, alt_text=alt_text, sort_order=product.images.count())
