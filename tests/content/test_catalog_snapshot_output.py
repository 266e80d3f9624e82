"""The catalog snapshot changes how a page's catalog is loaded, never the JSON a reader gets."""

import time as real_time
from types import SimpleNamespace

import django.core.signing
import pytest

import content.api.fields
from shop.models import ProductStatus
from tests.content.test_content_api_queries import guide_with_product_blocks
from tests.factories import (
    add_product_image,
    block,
    comparison_table,
    deal,
    make_brand,
    make_creator,
    make_guide,
    make_image,
    make_product,
    product_card,
    product_grid,
    shop_the_look,
)
from tests.shop.group_helpers import make_campaign

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
    monkeypatch.setattr(content.api.fields, "stream_catalog", lambda *streams: None)
    unbatched = api_client.get(url)

    # then both answers are the same bytes, and the page is really multi-block
    assert batched.status_code == unbatched.status_code == 200
    assert batched.content == unbatched.content
    assert [item["type"] for item in batched.json()["body"]][:7] == [
        "heading", "image", "product_card", "product_grid", "comparison_table", "shop_the_look", "deal",
    ]



def test_every_block_type_reads_the_same_with_and_without_the_snapshot_and_the_pages_shared_offers(
        api_client, settings, monkeypatch):
    # given a guide with every block type over two brands: a product shown by several blocks, a low-stock
    # and a sold-out variant, an archived product, a live and an ended deal, a group buy, images
    settings.KOLSHOP_API_CACHE_SECONDS = 0
    _pin_signing_clock(monkeypatch)
    audio, home = make_brand("Audio"), make_brand("Home")
    lamp = make_product(brand=home, title="Lamp", variants=[("LAMP-1", "20.00", 2), ("LAMP-2", "18.00", 0)],
                        attributes={"Weight": "1 kg"})
    phones = make_product(brand=audio, title="Phones", variants=[("PH-1", "99.00", 40)], attributes={"Weight": "300 g"})
    gone = make_product(brand=audio, title="Old phones", variants=[("OLD-1", "50.00", 3)],
                        status=ProductStatus.ARCHIVED)
    sold_out = make_product(brand=home, title="Rug", variants=[("RUG-1", "80.00", 0)])
    add_product_image(lamp, alt_text="A lamp")
    add_product_image(lamp)
    look = make_image("Look")
    campaign = make_campaign("GB-1", price="30.00", group_price="20.00", team_size=3)
    guide = make_guide(make_creator("pia"), body=[
        block("heading", "Picks"), block("paragraph", "<p>Read <b>this</b></p>"), block("image", look.pk),
        product_card(lamp, note="<p>Nice</p>"),
        product_card(lamp, variant=lamp.variants.get(sku="LAMP-2")),
        product_card(lamp),
        product_card(gone), product_card(sold_out),
        product_grid([(lamp, None, "one"), (phones, None, "two"), (lamp, lamp.variants.get(sku="LAMP-1"), "")]),
        comparison_table([lamp, phones, gone], attributes=["Weight", "Colour"]),
        shop_the_look(look, [(phones, None, "10", "20", "here"), (lamp, None, "50.5", "60", "")], caption="Desk"),
        deal(phones, deal_price="79.00", ends_at="2030-01-01T00:00:00Z", note="Hurry"),
        deal(lamp, deal_price="15.00", ends_at="2021-01-01T00:00:00Z"),
        block("group_buy", {"campaign": campaign.pk, "note": "Bring two friends"}),
    ])
    url = f"/api/v2/pages/{guide.pk}/"
    api_client.get(url)  # warm-up: renditions made once

    # when it is read through the snapshot and the page's shared offers, then each block on its own
    batched = api_client.get(url)
    monkeypatch.setattr(content.api.fields, "stream_catalog", lambda *streams: None)
    monkeypatch.setattr(content.api.fields, "PAGE_MEMO_CONTEXT_KEY", "not-read-by-the-blocks")
    unbatched = api_client.get(url)

    # then both answers are the same bytes, and they show what each case should
    assert batched.status_code == unbatched.status_code == 200
    assert batched.content == unbatched.content
    body = batched.json()["body"]
    cards = [item["value"] for item in body if item["type"] == "product_card"]
    assert [(card["available"], card["unavailable_reason"], card["variant"] and card["variant"]["sku"])
            for card in cards] == [(True, None, "LAMP-1"), (False, "sold_out", "LAMP-2"), (True, None, "LAMP-1"),
                                   (False, "archived", "OLD-1"), (False, "sold_out", "RUG-1")]
    assert cards[0]["variant"]["stock"] == {"level": "low_stock", "quantity": 2}
    assert cards[0]["buy_url"] != cards[2]["buy_url"]  # each block's link names its own block
    assert cards[3]["variants"][0]["buy_url"] is None and cards[0]["product"]["brand"]["name"] == "Home"
    assert len(cards[0]["product"]["images"]) == 2
    deals = [item["value"] for item in body if item["type"] == "deal"]
    assert [(item["deal"]["active"], item["deal_price"]) for item in deals] == [(True, "79.00"), (False, "15.00")]
    assert [item["type"] for item in body][-1] == "group_buy"
