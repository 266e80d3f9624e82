"""A guide's JSON costs the same number of queries with 10 or 100 product blocks (every block type)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    add_product_image,
    block,
    comparison_table,
    deal,
    make_creator,
    make_guide,
    make_image,
    make_product,
    product_card,
    product_grid,
    shop_the_look,
)

pytestmark = pytest.mark.django_db


def guide_with_product_blocks(creator, number_of_blocks: int):
    """``number_of_blocks`` shoppable blocks, an equal share of each type, each with its own product(s)."""
    products = []
    for number in range(number_of_blocks + 1):
        product = make_product(
            title=f"Product {number}",
            variants=[(f"P{number_of_blocks}-{number}-A", "20.00", 9), (f"P{number_of_blocks}-{number}-B", "15.00", 2)],
            attributes={"Weight": f"{number} g"},
        )
        if number % 5 == 0:
            add_product_image(product)
        products.append(product)
    look = make_image("Look")
    builders = [
        lambda i: product_card(products[i], variant=products[i].variants.first(), note="<p>Nice</p>"),
        lambda i: product_grid([(products[i], None, "one"), (products[i + 1], None, "two")]),
        lambda i: comparison_table([products[i], products[i + 1]], attributes=["Weight"]),
        lambda i: shop_the_look(look, [(products[i], None, "10", "20", "here")]),
        lambda i: deal(products[i], deal_price="9.99", ends_at="2030-01-01T00:00:00Z"),
    ]
    body = [block("heading", "Picks"), block("image", look.pk)]
    body += [builders[index % len(builders)](index) for index in range(number_of_blocks)]
    return make_guide(creator, title=f"{number_of_blocks} picks", body=body)


def queries_for(client, url: str) -> tuple[int, dict]:
    client.get(url)  # warm-up: renditions, site root paths
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.json()


def test_a_guide_with_100_product_blocks_costs_the_same_queries_as_one_with_10(api_client, settings):
    settings.KOLSHOP_API_CACHE_SECONDS = 0  # measure the full build, not a cache hit
    creator = make_creator("pia")
    small_guide = guide_with_product_blocks(creator, 10)
    large_guide = guide_with_product_blocks(creator, 100)

    small_count, small_body = queries_for(api_client, f"/api/v2/pages/{small_guide.pk}/")
    large_count, large_body = queries_for(api_client, f"/api/v2/pages/{large_guide.pk}/")

    assert len(small_body["body"]) == 12 and len(large_body["body"]) == 102
    assert {item["type"] for item in large_body["body"]} == {
        "heading", "image", "product_card", "product_grid", "comparison_table", "shop_the_look", "deal",
    }
    assert all(item["value"]["available"] for item in large_body["body"] if item["type"] in ("product_card", "deal"))
    # site, the page with its parent, tags, view restrictions and site subtree (one statement: its type is known
    # after the warm-up), deals, products, variants, attributes, product images, images, renditions
    # (12 before content.api.page_query, 10 while the tags took their own statement)
    assert small_count == large_count == 9


def test_a_cached_guide_costs_no_query_whatever_its_size(api_client):
    creator = make_creator("pia")
    small_guide = guide_with_product_blocks(creator, 10)
    large_guide = guide_with_product_blocks(creator, 100)

    small_count, small_body = queries_for(api_client, f"/api/v2/pages/{small_guide.pk}/")
    large_count, large_body = queries_for(api_client, f"/api/v2/pages/{large_guide.pk}/")

    assert (small_count, large_count) == (0, 0)
    assert (len(small_body["body"]), len(large_body["body"])) == (12, 102)


def test_a_304_and_an_unknown_parameter_cost_no_query_on_a_cached_guide(api_client, django_assert_num_queries):
    guide = guide_with_product_blocks(make_creator("pia"), 10)
    first = api_client.get(f"/api/v2/pages/{guide.pk}/")

    with django_assert_num_queries(0):
        not_modified = api_client.get(f"/api/v2/pages/{guide.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
    with django_assert_num_queries(0):
        busted = api_client.get(f"/api/v2/pages/{guide.pk}/?_=1764100000")

    assert (not_modified.status_code, not_modified.content, not_modified["ETag"]) == (304, b"", first["ETag"])
    assert (busted.status_code, busted.content, busted["ETag"]) == (200, first.content, first["ETag"])


def test_a_cold_cache_costs_only_the_site_statement_more_than_a_warm_one(api_client):
    """With the whole cache emptied (a restart, a flush), a page's read also finds its site again, and Wagtail's site
    root paths (its URLs) come from that same statement: one query more than with only the page's entry gone."""
    from django.core.cache import cache

    from content.services.page_cache import forget_page

    guide = guide_with_product_blocks(make_creator("pia"), 10)
    url = f"/api/v2/pages/{guide.pk}/"
    first = api_client.get(url)  # the process learns the page's type
    forget_page(guide.pk)
    api_client.get(url)  # and the site for this host
    forget_page(guide.pk)
    with CaptureQueriesContext(connection) as warm:
        warm_response = api_client.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        cold_response = api_client.get(url)

    assert len(cold) == len(warm) + 1
    assert first.content == warm_response.content == cold_response.content
    assert cold_response.json()["meta"]["html_url"] == guide.full_url == f"http://localhost/creators/pia/{guide.slug}/"
