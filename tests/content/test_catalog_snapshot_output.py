"""The catalog snapshot changes how a page's catalog is loaded, never the JSON a reader gets."""

import time as real_time
from types import SimpleNamespace

import django.core.signing
import pytest

import content.api.fields
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

