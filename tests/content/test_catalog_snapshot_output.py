"""The catalog snapshot changes how a page's catalog is loaded, never the JSON a reader gets."""

import time as real_time
from types import SimpleNamespace

import django.core.signing
import pytest

import content.api.fields
from django.db.models import Prefetch
from wagtail.images import get_image_model

from content.services import catalog
from shop.models import Product, ProductAttribute, ProductImage, Variant
from shop.services.offers import with_availability
from tests.content.test_content_api_queries import guide_with_product_blocks
from tests.factories import make_creator

pytestmark = pytest.mark.django_db


def _pin_signing_clock(monkeypatch) -> None:
    """Buy links carry a signing timestamp (1 s resolution): both renderings sign in the same second."""
    instant = real_time.time()
    monkeypatch.setattr(django.core.signing, "time", SimpleNamespace(time=lambda: instant))


def test_a_multi_block_page_is_byte_identical_with_and_without_the_catalog_snapshot(api_client, settings, monkeypatch):
    # given a guide with every shoppable block type (cards, grids, comparisons, looks, deals), images
    # and attributes, read uncached
    settings.KOLSHOP_API_CACHE_SECONDS = 0
    _pin_signing_clock(monkeypatch)
    guide = guide_with_product_blocks(make_creator("pia"), 10)
    url = f"/api/v2/pages/{guide.pk}/"
    api_client.get(url)  # warm-up: renditions made once

    # when it is read through the snapshot, then with each block loading its own rows
    batched = api_client.get(url)
    monkeypatch.setattr(content.api.fields, "prefetch_stream", lambda stream: None)
    unbatched = api_client.get(url)

    # then both answers are the same bytes, and the page is really multi-block
    assert batched.status_code == unbatched.status_code == 200
    assert batched.content == unbatched.content
    assert [item["type"] for item in batched.json()["body"]][:7] == [
        "heading", "image", "product_card", "product_grid", "comparison_table", "shop_the_look", "deal",
    ]


# The loader as it was before the snapshot was built from plain grouped queries (prefetch_related).
def _previous_load_catalog(references):
    """Load everything ``references`` names; at most 7 queries whatever their number."""
    snapshot = catalog.CatalogSnapshot(
        requested_product_ids=set(references.product_ids),
        requested_variant_ids=set(references.variant_ids),
        requested_image_ids=set(references.image_ids),
        requested_promotion_ids=set(references.promotion_ids),
    )
    if references.promotion_ids:
        snapshot.promotions = catalog._promotions_with_usage().in_bulk(sorted(references.promotion_ids))
        references = catalog.StreamReferences(
            product_ids=references.product_ids | {p.variant.product_id for p in snapshot.promotions.values()},
            variant_ids=references.variant_ids, image_ids=references.image_ids,
        )
    if references.product_ids:
        products = Product.objects.select_related("brand").prefetch_related(
            Prefetch("variants", queryset=with_availability(Variant.objects.order_by("sort_order", "pk"))),
            Prefetch("attributes", queryset=ProductAttribute.objects.order_by("sort_order", "pk")),
            Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "pk")),
        )
        snapshot.products = products.in_bulk(sorted(references.product_ids))
    for product in snapshot.products.values():
        for variant in product.variants.all():
            variant.product = product  # no query for variant.product later
            snapshot.variants[variant.pk] = variant
    product_images = [image for product in snapshot.products.values() for image in product.images.all()]
    image_ids = references.image_ids | {product_image.image_id for product_image in product_images}
    if image_ids:
        snapshot.images = (
            get_image_model().objects.prefetch_renditions(*catalog.api_rendition_specs().values()).in_bulk(sorted(image_ids))
        )
    for product_image in product_images:
        if product_image.image_id in snapshot.images:
            product_image.image = snapshot.images[product_image.image_id]
    snapshot.requested_image_ids |= image_ids
    for promotion in snapshot.promotions.values():
        # The variant as the products loaded it: with stock, reservations and its product.
        promotion.variant = snapshot.variants.get(promotion.variant_id, promotion.variant)
    missing_variants = references.variant_ids - set(snapshot.variants)
    if missing_variants:
        # A variant chosen for another product (invalid, but may be stored): load it plainly.
        snapshot.variants.update(with_availability(Variant.objects.select_related("product")).in_bulk(missing_variants))
    return snapshot


def test_the_page_json_is_byte_identical_to_the_previous_prefetching_loader(api_client, settings, monkeypatch):
    settings.KOLSHOP_API_CACHE_SECONDS = 0
    _pin_signing_clock(monkeypatch)
    guide = guide_with_product_blocks(make_creator("pia"), 10)
    url = f"/api/v2/pages/{guide.pk}/"
    api_client.get(url)

    current = api_client.get(url)
    monkeypatch.setattr(catalog, "load_catalog", _previous_load_catalog)
    previous = api_client.get(url)

    assert current.status_code == previous.status_code == 200
    assert current.content == previous.content
