"""Hostile query strings on the content API (/api/v2/): 400 JSON naming the parameter, never a 500."""

import pytest

from content.api.filters import plain_search_words
from content.api.pagination import MAX_OFFSET
from tests.factories import make_creator, make_guide

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("offset", ["99999999999999999999", str(MAX_OFFSET + 1), "9" * 5000])
def test_an_offset_beyond_the_database_range_is_a_400(api_client, offset):
    make_guide(make_creator("pia"))

    response = api_client.get(f"/api/v2/pages/?offset={offset}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == "offset"


def test_the_largest_offset_is_an_empty_page(api_client):
    make_guide(make_creator("pia"))

    response = api_client.get(f"/api/v2/pages/?type=content.BuyingGuidePage&offset={MAX_OFFSET}")

    assert response.status_code == 200
    assert response.json() == {"meta": {"total_count": 1}, "items": []}


@pytest.mark.parametrize("search", ["'\";--", '"headphones', "head*phones OR", "NOT", "))(("])
def test_search_syntax_is_plain_text(api_client, search):
    make_guide(make_creator("pia"), title="Best headphones", slug="best-headphones")

    response = api_client.get("/api/v2/pages/", {"type": "content.BuyingGuidePage", "search": search})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_quoted_words_still_find_their_page(api_client):
    make_guide(make_creator("pia"), title="Best headphones", slug="best-headphones")

    response = api_client.get("/api/v2/pages/", {"type": "content.BuyingGuidePage", "search": '"headphones"'})

    assert [item["title"] for item in response.json()["items"]] == ["Best headphones"]


def test_a_search_of_only_punctuation_finds_nothing(api_client):
    make_guide(make_creator("pia"), title="Best headphones", slug="best-headphones")

    response = api_client.get("/api/v2/pages/", {"type": "content.BuyingGuidePage", "search": "'\";--"})

    assert response.json() == {"meta": {"total_count": 0}, "items": []}


def test_plain_search_words_keeps_letters_and_digits_only():
    assert plain_search_words('  "Sony" WH-1000XM5 (2024) ; --') == "Sony WH 1000XM5 2024"
    assert plain_search_words("café_crème") == "café crème"


def test_a_nul_in_a_query_value_is_a_400(api_client):
    response = api_client.get("/api/v2/pages/", {"search": "head\x00phones"})

    assert response.status_code == 400
    assert response.json()["field"] == "search"


def test_an_over_long_search_is_a_400(api_client):
    response = api_client.get("/api/v2/pages/", {"search": "x" * 256})

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "search must be at most 255 characters.",
                               "field": "search"}


HUGE_ID = "99999999999999999999"


@pytest.mark.parametrize("name", ["child_of", "ancestor_of", "descendant_of", "translation_of"])
def test_a_page_id_beyond_a_bigint_is_a_400_naming_the_filter(api_client, name):
    response = api_client.get(f"/api/v2/pages/?{name}={HUGE_ID}")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": f"{name} must be a page id.", "field": name}


def test_a_detail_id_beyond_a_bigint_is_a_json_404(api_client):
    detail = api_client.get(f"/api/v2/pages/{HUGE_ID}/")
    found = api_client.get(f"/api/v2/pages/find/?id={HUGE_ID}")

    assert (detail.status_code, detail.json()["code"]) == (404, "not_found")
    assert (found.status_code, found.json()["field"]) == (400, "id")
