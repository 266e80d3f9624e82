"""Catalog admin: brand users see only their own brand; the product chooser searches and shows stock."""

import pytest
from django.urls import reverse

from shop.models import ProductStatus
from tests.factories import make_brand, make_brand_user, make_creator, make_product, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_brands():
    acme, globex = make_brand("Acme Audio"), make_brand("Globex Gear")
    acme_product = make_product(brand=acme, title="Acme Speaker", variants=[("ACME-1", "99.00", 4)])
    globex_product = make_product(brand=globex, title="Globex Tent", variants=[("GLBX-1", "250.00", 9)])
    brand_user = make_brand_user("acme-manager", brand=acme)
    return brand_user, acme_product, globex_product


def test_a_brand_user_lists_only_their_brands_products(client, two_brands):
    brand_user, acme_product, globex_product = two_brands
    client.force_login(brand_user)

    response = client.get(reverse("wagtailsnippets_shop_product:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Speaker" in html
    assert "Globex Tent" not in html


@pytest.mark.parametrize("view", ["edit", "inspect", "delete", "usage", "history"])
def test_a_brand_user_is_refused_on_another_brands_product(client, two_brands, view):
    brand_user, _, globex_product = two_brands
    client.force_login(brand_user)

    response = client.get(reverse(f"wagtailsnippets_shop_product:{view}", args=[globex_product.pk]))

    assert response.status_code in (302, 403, 404)
    assert "Globex Tent" not in response.content.decode()


def test_a_brand_user_can_inspect_their_own_product(client, two_brands):
    brand_user, acme_product, _ = two_brands
    client.force_login(brand_user)

    response = client.get(reverse("wagtailsnippets_shop_product:inspect", args=[acme_product.pk]))

    assert response.status_code == 200
    assert "Acme Speaker" in response.content.decode()


def test_a_brand_user_sees_only_their_stock_rows(client, two_brands):
    brand_user, _, _ = two_brands
    client.force_login(brand_user)

    response = client.get("/admin/shop/stock/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "ACME-1" in html
    assert "GLBX-1" not in html


def test_the_stock_listing_filters_by_level(client, two_brands, settings):
    settings.KOLSHOP_LOW_STOCK_THRESHOLD = 5
    admin = make_user("boss", is_superuser=True, is_staff=True)
    make_product(title="Empty", variants=[("EMPTY-1", "5.00", 0)])
    client.force_login(admin)

    low = client.get("/admin/shop/stock/?level=low").content.decode()
    out = client.get("/admin/shop/stock/?level=out").content.decode()

    assert "ACME-1" in low and "GLBX-1" not in low and "EMPTY-1" not in low
    assert "EMPTY-1" in out and "ACME-1" not in out


def test_a_brand_user_has_no_page_editing_rights(client, two_brands):
    brand_user, _, _ = two_brands
    client.force_login(brand_user)

    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    assert client.get(reverse("wagtailadmin_pages:add_subpage", args=[1])).status_code in (302, 403)


def choose(client, query: str) -> str:
    response = client.get(reverse("wagtailsnippetchoosers_shop_product:choose_results"), {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_the_product_chooser_searches_title_sku_and_brand_and_shows_price_and_availability(client, two_brands):
    creator = make_creator("chooser")
    client.force_login(creator.user)

    by_sku = choose(client, "GLBX")
    by_brand = choose(client, "acme aud")
    by_title = choose(client, "tent")

    assert "Globex Tent" in by_sku and "Acme Speaker" not in by_sku
    assert "Acme Speaker" in by_brand and "Globex Tent" not in by_brand
    assert "Globex Tent" in by_title
    assert "250.00 USD" in by_sku
    compact = by_sku.replace(" ", "").replace("\n", "")
    assert ">Instock<" in compact  # 9 on hand, above the low-stock threshold of 5
    assert ">9<" not in compact  # never the exact count


def test_the_product_chooser_hides_archived_products(client, two_brands):
    creator = make_creator("chooser2")
    make_product(title="Retired Lamp", status=ProductStatus.ARCHIVED)
    client.force_login(creator.user)

    assert "Retired Lamp" not in choose(client, "lamp")
