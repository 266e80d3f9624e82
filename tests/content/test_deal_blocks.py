"""Deal blocks show the shop's deal: price, end, remaining units, and buy links that carry the deal."""

import importlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from wagtail.models import ReferenceIndex

from content.services.editorial import unavailable_embeds
from shop.models import Cart, ProductStatus, Promotion
from tests.factories import block, make_creator, make_deal, make_guide, make_product
from tests.shop.helpers import checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(shop_settings):
    return shop_settings


def _guide_with_deal(promotion: Promotion, note: str = "Today only"):
    return make_guide(make_creator(), body=[block("deal", {"deal": promotion.pk, "note": note})])


def test_the_api_keeps_deal_price_and_adds_the_deals_details_and_remaining_units(api_client):
    variant = make_product(title="Headphones", variants=[("HP-1", "124.99", 30)]).variants.get()
    starts, ends = datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, 10, tzinfo=UTC)
    promotion = make_deal(variant, price="99.00", starts_at=starts, ends_at=ends, unit_cap=5)
    other_cart = Cart.objects.create()
    other_cart.lines.create(variant=variant, quantity=2, promotion=promotion)
    checkout(other_cart, email="early@example.com")  # a pending order holds 2 of the 5 units
    guide = _guide_with_deal(promotion)

    value = api_client.get(f"/api/v2/pages/{guide.pk}/").json()["body"][0]["value"]

    assert (value["deal_price"], value["ends_at"], value["note"]) == ("99.00", "2030-01-01T10:00:00Z", "Today only")
    assert value["deal"] == {
        "id": promotion.pk, "price": "99.00", "list_price": "124.99", "currency": "USD",
        "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2030-01-01T10:00:00Z", "remaining_units": 3,
        "active": True, "refusal": None,
    }
    assert (value["variant"]["sku"], value["variant"]["price"], value["available"]) == ("HP-1", "124.99", True)
    assert parse_qs(urlparse(value["buy_url"]).query)["deal"] == [str(promotion.pk)]
    assert parse_qs(urlparse(value["variant"]["buy_url"]).query)["deal"] == [str(promotion.pk)]


def test_an_ended_or_uncapped_deal_says_so(api_client):
    variant = make_product(variants=[("HP-2", "124.99", 30)]).variants.get()
    now = timezone.now()
    ended = make_deal(variant, price="99.00", starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=1))
    guide = _guide_with_deal(ended)

    deal = api_client.get(f"/api/v2/pages/{guide.pk}/").json()["body"][0]["value"]["deal"]

    assert (deal["active"], deal["refusal"], deal["remaining_units"]) == (False, "ended", None)


def test_the_reader_page_shows_the_deal_price_remaining_units_end_and_a_buy_link_with_the_deal(client):
    variant = make_product(title="Headphones", variants=[("HP-3", "124.99", 30)]).variants.get()
    promotion = make_deal(variant, price="99.00", ends_at=datetime(2030, 1, 1, 10, tzinfo=UTC), unit_cap=5)
    guide = _guide_with_deal(promotion)

    html = client.get(guide.url).content.decode()

    assert "<strong>Deal: 99.00 USD</strong>" in html
    assert '<time datetime="2030-01-01T10:00:00+00:00">' in html
    assert '<span class="deal-remaining">5 left at this price</span>' in html
    assert f"deal={promotion.pk}" in html


def test_the_reader_page_says_an_ended_deal_is_over(client):
    variant = make_product(variants=[("HP-4", "124.99", 30)]).variants.get()
    now = timezone.now()
    guide = _guide_with_deal(make_deal(variant, price="99.00", starts_at=now - timedelta(days=3),
                                       ends_at=now - timedelta(days=1)))

    html = client.get(guide.url).content.decode()

    assert '<p class="deal-over">This deal is over.</p>' in html
    assert "Deal: 99.00" not in html


def test_following_the_deal_blocks_buy_link_puts_the_deal_price_in_the_cart(api_client, client):
    variant = make_product(variants=[("HP-5", "124.99", 30)]).variants.get()
    promotion = make_deal(variant, price="99.00")
    guide = _guide_with_deal(promotion)
    buy_url = api_client.get(f"/api/v2/pages/{guide.pk}/").json()["body"][0]["value"]["buy_url"]

    html = client.get(buy_url, follow=True).content.decode()

    line = Cart.objects.get(lines__isnull=False).lines.get()
    assert (line.promotion_id, line.creator_id, line.page_id) == (promotion.pk, guide.creator_id, guide.pk)
    assert "<td>99.00 USD" in html


def test_the_migration_turns_old_deal_blocks_into_shop_deals_in_pages_and_revisions():
    migration = importlib.import_module("content.migrations.0004_promotions")
    product = make_product(variants=[("OLD-A", "40.00", 5), ("OLD-B", "30.00", 5)])
    old_block = block("deal", {"product": product.pk, "variant": None, "deal_price": "25.00",
                               "ends_at": "2030-01-01T10:00:00Z", "note": "Old deal"})
    guide = make_guide(make_creator(), title="Old guide", body=[old_block])

    migration.deals_from_deal_blocks(django_apps, None)

    promotion = Promotion.objects.get()
    assert (promotion.variant.sku, promotion.price, promotion.currency, promotion.ends_at, promotion.name) == (
        "OLD-B", Decimal("25.00"), "USD", datetime(2030, 1, 1, 10, tzinfo=UTC), "Deal on Old guide")
    guide.refresh_from_db()
    assert (guide.body[0].value["deal"], guide.body[0].value["note"]) == (promotion, "Old deal")
    revision_body = json.loads(guide.latest_revision.content["body"])
    assert revision_body[0]["value"] == {"deal": promotion.pk, "note": "Old deal"}


def test_a_deal_block_references_its_deal_and_its_product_and_warns_when_the_product_is_archived():
    product = make_product(title="Old Recorder", variants=[("REC-1", "80.00", 5)])
    promotion = make_deal(product.variants.get(), price="60.00")
    guide = _guide_with_deal(promotion)
    product.status = ProductStatus.ARCHIVED
    product.save()

    assert {ref.object_id for ref in ReferenceIndex.get_references_to(product)} == {str(guide.pk)}
    assert {ref.object_id for ref in ReferenceIndex.get_references_to(promotion)} == {str(guide.pk)}
    assert [(embed.product_id, embed.reason) for embed in unavailable_embeds(guide)] == [(product.pk, "archived")]


def test_a_cached_deal_page_shows_a_deal_edit_and_a_sale_at_once(api_client, settings,
                                                                django_capture_on_commit_callbacks):
    settings.KOLSHOP_API_CACHE_SECONDS = 120
    variant = make_product(variants=[("HP-6", "124.99", 30)]).variants.get()
    promotion = make_deal(variant, price="99.00", unit_cap=5)
    guide = _guide_with_deal(promotion)
    assert api_client.get(f"/api/v2/pages/{guide.pk}/").json()["body"][0]["value"]["deal"]["price"] == "99.00"

    promotion.price = Decimal("89.00")
    promotion.save()
    edited = api_client.get(f"/api/v2/pages/{guide.pk}/").json()["body"][0]["value"]["deal"]
    cart = Cart.objects.create()
    cart.lines.create(variant=variant, quantity=1, promotion=promotion)
    with django_capture_on_commit_callbacks(execute=True):
        checkout(cart, email="early@example.com")  # reserving stock touches the product after commit
    sold = api_client.get(f"/api/v2/pages/{guide.pk}/").json()["body"][0]["value"]["deal"]

    assert (edited["price"], edited["remaining_units"]) == ("89.00", 5)
    assert (sold["price"], sold["remaining_units"]) == ("89.00", 4)
