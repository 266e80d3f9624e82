"""Reading a page the API has served before: one page query (its type is known), the same bytes."""

import time as real_time
from types import SimpleNamespace
from urllib.parse import quote_plus, urlencode

import django.core.signing
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.api.page_lookup import forget_page_classes
from shop.attribution import Attribution, InvalidAttribution, buy_path, read_attribution, sign_attribution
from tests.content.test_content_api_queries import guide_with_product_blocks
from tests.factories import make_creator

pytestmark = pytest.mark.django_db


def _pin_signing_clock(monkeypatch) -> None:
    instant = real_time.time()
    monkeypatch.setattr(django.core.signing, "time", SimpleNamespace(time=lambda: instant))


def _read(client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def test_a_page_read_again_costs_one_page_query_and_the_same_bytes(api_client, settings, monkeypatch):
    # given a guide with several block kinds, read uncached, signing in one second
    settings.KOLSHOP_API_CACHE_SECONDS = 0
    _pin_signing_clock(monkeypatch)
    guide = guide_with_product_blocks(make_creator("pia"), 10)
    url = f"/api/v2/pages/{guide.pk}/"

    api_client.get(url)  # warm-up: renditions, site root paths
    forget_page_classes()  # as a process that has not served this page yet

    # when it is read by a process that does not know it (Wagtail's lookup: the Page row, then the
    # specific row), then again
    first, first_count = _read(api_client, url)
    again, again_count = _read(api_client, url)

    # then the second read is four queries less, with the same bytes: the page with its parent, tag names, view
    # restrictions and site subtree in one statement (content.api.page_query)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert (first_count, again_count) == (13, 9)


@pytest.mark.parametrize("hide", ["delete", "unpublish"])
def test_a_deleted_or_unpublished_page_is_not_found_though_its_type_was_known(api_client, settings, hide):
    settings.KOLSHOP_API_CACHE_SECONDS = 0
    guide = guide_with_product_blocks(make_creator("pia"), 2)
    url = f"/api/v2/pages/{guide.pk}/"
    assert api_client.get(url).status_code == 200

    getattr(guide, hide)()

    response = api_client.get(url)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_buy_link_token_is_url_safe_and_reads_back(monkeypatch):
    # the v3 token (one HMAC) needs no quoting in a URL; buy_path quotes the SKU only
    _pin_signing_clock(monkeypatch)
    attribution = Attribution(creator_id=3, page_id=41, block_id="82eea12e-f364-4ed5-be43-7e4829af2c7e")

    token = sign_attribution(attribution, sku="LAMP-1")

    assert token.startswith("a3.") and quote_plus(token) == token
    assert read_attribution(token, sku="LAMP-1") == attribution
    assert buy_path("LAMP 1", attribution) == (
        "/buy/LAMP%201/?" + urlencode({"ref": sign_attribution(attribution, sku="LAMP 1")}))


def test_a_new_secret_key_signs_with_the_new_key(settings, monkeypatch):
    _pin_signing_clock(monkeypatch)
    attribution = Attribution(creator_id=3, page_id=41, block_id="b1")
    before = sign_attribution(attribution, sku="LAMP-1")

    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"

    after = sign_attribution(attribution, sku="LAMP-1")
    assert after != before
    assert read_attribution(after, sku="LAMP-1") == attribution
    with pytest.raises(InvalidAttribution, match="invalid"):
        read_attribution(before, sku="LAMP-1")  # the old key is not a fallback here


@pytest.mark.parametrize("cache_seconds", [0, 300])
@pytest.mark.parametrize("known_type", [False, True])
def test_a_detail_read_ignores_listing_filters_cached_or_not(api_client, settings, monkeypatch, cache_seconds,
                                                              known_type):
    # given a guide, read once plainly (the cache, when on, now holds it; the process knows its type)
    settings.KOLSHOP_API_CACHE_SECONDS = cache_seconds
    _pin_signing_clock(monkeypatch)
    guide = guide_with_product_blocks(make_creator("pia"), 2)
    url = f"/api/v2/pages/{guide.pk}/"
    plain = api_client.get(url)
    if not known_type:
        forget_page_classes()

    # when it is read with filters a listing honours (none matching this page) and a cache-buster
    filtered = [api_client.get(f"{url}?{query}") for query in
                ("title=nothing-like-it", "type=creators.CreatorPage", "child_of=1&search=zzz", "_=123")]

    # then each answer is the plain read's, whether it came from the cache or was rendered again
    assert plain.status_code == 200
    assert [(response.status_code, response.content) for response in filtered] == [(200, plain.content)] * 4


def test_a_detail_read_still_honours_its_fields_parameter(api_client, settings):
    settings.KOLSHOP_API_CACHE_SECONDS = 300
    guide = guide_with_product_blocks(make_creator("pia"), 2)
    url = f"/api/v2/pages/{guide.pk}/"
    api_client.get(url)

    response = api_client.get(f"{url}?fields=-body")

    assert response.status_code == 200
    assert "body" not in response.json() and response.json()["id"] == guide.pk


def test_a_detail_read_for_another_site_answers_the_same_cached_or_not(api_client, settings):
    # given a guide on the default site, cached by a plain read
    settings.KOLSHOP_API_CACHE_SECONDS = 300
    guide = guide_with_product_blocks(make_creator("pia"), 2)
    url = f"/api/v2/pages/{guide.pk}/"
    assert api_client.get(url).status_code == 200

    # when it is asked for on a site that does not exist, cached and then with the cache off
    cached = api_client.get(f"{url}?site=elsewhere.example")
    settings.KOLSHOP_API_CACHE_SECONDS = 0
    uncached = api_client.get(f"{url}?site=elsewhere.example")

    # then both say it is not found (``site`` is part of the cache key, not ignored)
    assert (cached.status_code, uncached.status_code) == (404, 404)
    assert cached.content == uncached.content
