"""The storefront (a creator's shop: guides grid and featured products) costs the same queries for two
guides as for six, each with its own hero image and products."""

import re

import pytest

from tests.factories import add_product_image, make_creator, make_guide, make_image, make_product, product_card, \
    storefront_of

pytestmark = pytest.mark.django_db


def _guides(creator, start: int, count: int) -> None:
    for number in range(start, start + count):
        lamp = make_product(title=f"Lamp {number}", variants=[(f"LAMP-{number}", "20.00", 3)])
        add_product_image(lamp, make_image(f"Lamp {number}"))
        guide = make_guide(creator, title=f"Guide {number}", slug=f"guide-{number}", body=[product_card(lamp)])
        guide.hero_image = make_image(f"Hero {number}")
        guide.save_revision().publish()


# Routing and view restrictions, the creator, the pages, their hero images with renditions (one query
# each), one catalog snapshot for every body, featured products' card images: none of it per guide.
STOREFRONT_QUERIES = 23


def _storefront(client, url: str, django_assert_num_queries) -> str:
    client.get(url, HTTP_HOST="localhost")  # warm-up: renditions made, caches filled
    with django_assert_num_queries(STOREFRONT_QUERIES):
        response = client.get(url, HTTP_HOST="localhost")
    assert response.status_code == 200
    return response.content.decode()


def test_the_storefront_costs_the_same_queries_for_two_guides_as_for_six(client, django_assert_num_queries):
    creator = make_creator("pia")
    url = storefront_of(creator).url
    _guides(creator, 1, 2)
    two = _storefront(client, url, django_assert_num_queries)
    _guides(creator, 3, 4)

    six = _storefront(client, url, django_assert_num_queries)

    assert re.findall(r'class="card-title" href="[^"]+">([^<]+)</a>', two) == ["Guide 2", "Guide 1"]
    assert re.findall(r'class="card-title" href="[^"]+">([^<]+)</a>', six) == [f"Guide {n}" for n in (6, 5, 4, 3, 2, 1)]
    assert re.findall(r'<span class="card-product-title">([^<]+)</span>', six) == [
        f"Lamp {n}" for n in (6, 5, 4, 3, 2, 1)]
    assert (two.count("<img "), six.count("<img ")) == (4, 12)  # a hero per guide, an image per featured product
