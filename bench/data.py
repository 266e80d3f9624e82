"""The bench's data: kolshop guides and the naive baseline's guides over the same number of products."""

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

from wagtail.models import Page

from bench.naive.models import NaiveBrand, NaiveGuidePage, NaiveProduct
from content.models import BuyingGuidePage
from content.services.site_tree import ensure_site_tree
from creators.models import CreatorPage, LinkTarget
from creators.services.links import create_tracked_link
from creators.services.onboarding import provision_creator
from shop.models import Brand, Product, Stock, Variant

SIZES = (10, 100)


@dataclass
class BenchData:
    guides: dict[int, BuyingGuidePage]
    naive_guides: dict[int, NaiveGuidePage]
    link_code: str
    hot_sku: str
    spread_skus: list[str]


def _products(count: int) -> list[Product]:
    brand = Brand.objects.create(name="Bench Audio", slug="bench-audio")
    products = []
    for number in range(count):
        product = Product.objects.create(brand=brand, title=f"Bench product {number}", slug=f"bench-{number}",
                                         status="active")
        variant = Variant.objects.create(product=product, sku=f"BENCH-{number}", price=Decimal("49.00") + number)
        Stock.objects.create(variant=variant, on_hand=1_000_000)
        products.append(product)
    return products


def _guide(storefront: CreatorPage, owner, products: list[Product], size: int) -> BuyingGuidePage:
    body = [{"type": "product_card", "id": str(uuid.uuid4()),
             "value": {"product": products[i % len(products)].pk, "variant": None, "note": f"Pick {i}"}}
            for i in range(size)]
    guide = BuyingGuidePage(title=f"{size} picks", slug=f"picks-{size}", body=json.dumps(body), live=False)
    guide.owner = owner
    storefront.add_child(instance=guide)
    guide.save_revision(user=owner).publish()
    guide.refresh_from_db()
    return guide


def _naive_guide(home: Page, products: list[NaiveProduct], size: int) -> NaiveGuidePage:
    body = [{"type": "product_card", "id": str(uuid.uuid4()),
             "value": {"product": products[i % len(products)].pk, "note": f"Pick {i}"}} for i in range(size)]
    guide = NaiveGuidePage(title=f"Naive {size}", slug=f"naive-{size}", body=json.dumps(body))
    home.add_child(instance=guide)
    guide.save_revision().publish()
    guide.refresh_from_db()
    return guide


def build() -> BenchData:
    from django.contrib.auth import get_user_model

    home, index = ensure_site_tree()
    user = get_user_model().objects.create_user("benchcreator", "bench@example.com", "bench")
    creator = provision_creator(user, display_name="Bench Creator", handle="bench", index_page=index)
    storefront = CreatorPage.objects.get(creator=creator)
    products = _products(max(SIZES))
    naive_brand = NaiveBrand.objects.create(name="Bench Audio")
    naive_products = [
        NaiveProduct.objects.create(brand=naive_brand, title=product.title, sku=f"NAIVE-{n}",
                                    price=Decimal("49.00") + n, on_hand=1_000_000)
        for n, product in enumerate(products)
    ]
    link = create_tracked_link(creator, target_kind=LinkTarget.PRODUCT, product=products[0])
    return BenchData(
        guides={size: _guide(storefront, user, products, size) for size in SIZES},
        naive_guides={size: _naive_guide(home, naive_products, size) for size in SIZES},
        link_code=link.code,
        hot_sku=products[0].variants.get().sku,
        spread_skus=[f"BENCH-{number}" for number in range(50, 66)],
    )
