"""Distribution reports in the admin and the API: a creator sees their own listings' margin, units and
sell-through; a brand user their supply's sales per storefront (totals only); everyone else is refused."""

import pytest

from shop.models import Variant
from tests.factories import make_brand, make_brand_user, make_creator, make_product, make_user
from tests.shop.supply_helpers import live_listing, offer_for, sell

pytestmark = pytest.mark.django_db

LISTINGS_URL = "/api/v1/supply/listing-figures"
SALES_URL = "/api/v1/supply/storefront-sales"


def test_a_creator_sees_their_own_listings_figures_page(client, sales):
    _, anna, ben, anna_listing, other = sales
    client.force_login(anna.user)
    html = client.get("/admin/reports/storefront-listings/").content.decode()
    assert f'<tr data-listing="{anna_listing.pk}"><th scope="row">' in html
    assert "<td>REP-1</td><td>live</td><td>3</td><td>38.40 USD</td><td>43%</td>" in html
    assert "<td>REP-2</td><td>live</td><td>0</td><td>0.00 USD</td><td>0%</td>" in html
    client.force_login(ben.user)
    html = client.get("/admin/reports/storefront-listings/").content.decode()
    assert "<td>REP-1</td><td>live</td><td>3</td><td>27.00 USD</td><td>43%</td>" in html
    assert "REP-2" not in html and "38.40" not in html


def test_a_brand_user_sees_sales_per_storefront_and_no_buyer(client, sales):
    brand, anna, ben, _, _ = sales
    client.force_login(make_brand_user(brand=brand))
    html = client.get("/admin/reports/storefront-sales/").content.decode()
    assert f'<tr data-creator="{anna.pk}"><th scope="row">Anna</th><td>USD</td><td>3</td><td>72.00</td><td>30.00</td><td>0.00</td></tr>' in html
    assert f'<tr data-creator="{ben.pk}"><th scope="row">Ben</th><td>USD</td><td>3</td><td>60.00</td><td>30.00</td><td>0.00</td></tr>' in html
    assert "ada@example.com" not in html and "Ada" not in html
    client.force_login(make_brand_user(brand=make_brand()))
    assert "No storefront sales yet." in client.get("/admin/reports/storefront-sales/").content.decode()


def test_creators_and_brand_users_are_refused_each_others_report(client, sales):
    brand, anna, _, _, _ = sales
    client.force_login(anna.user)
    assert client.get("/admin/reports/storefront-sales/").status_code == 403
    client.force_login(make_brand_user(brand=brand))
    assert client.get("/admin/reports/storefront-listings/").status_code == 403
    client.force_login(make_user())
    assert client.get("/admin/reports/storefront-sales/").status_code in (302, 403)


def test_the_api_answers_each_report_to_its_owner_only(client, sales):
    brand, anna, ben, anna_listing, other = sales
    assert client.get(LISTINGS_URL).status_code == 401
    client.force_login(anna.user)
    assert client.get(LISTINGS_URL).json() == [
        {"listing_id": anna_listing.pk, "sku": "REP-1", "product_title": anna_listing.offer.variant.product.title,
         "status": "live", "currency": "USD", "units": 3, "margin": "38.40", "sell_through": "0.43"},
        {"listing_id": other.pk, "sku": "REP-2", "product_title": other.offer.variant.product.title,
         "status": "live", "currency": "USD", "units": 0, "margin": "0.00", "sell_through": "0.00"},
    ]
    refused = client.get(SALES_URL)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_a_brand_user")
    client.force_login(make_brand_user(brand=brand))
    assert client.get(SALES_URL).json() == [
        {"creator_id": anna.pk, "storefront": "Anna", "currency": "USD", "units": 3, "sales": "72.00", "wholesale": "30.00",
         "brand_discount": "0.00"},
        {"creator_id": ben.pk, "storefront": "Ben", "currency": "USD", "units": 3, "sales": "60.00", "wholesale": "30.00",
         "brand_discount": "0.00"},
    ]
    refused = client.get(LISTINGS_URL)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_a_creator")


# What a brand is shown of its supply's sales, reviewed: totals per storefront, never an order or a buyer. The API
# serves ``StorefrontSales``' own fields, so one added there is served at once: this list makes that a review.
BRAND_SEES = ["creator_id", "storefront", "currency", "units", "sales", "wholesale", "brand_discount"]


def test_the_api_serves_brands_exactly_the_reviewed_storefront_figures_in_its_answer_and_its_schema(client, sales):
    brand = sales[0]
    client.force_login(make_brand_user(brand=brand))
    rows = client.get(SALES_URL).json()
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["StorefrontSalesOut"]

    assert [list(row) for row in rows] == [BRAND_SEES, BRAND_SEES]
    assert (list(schema["properties"]), schema["required"]) == (BRAND_SEES, BRAND_SEES)


@pytest.fixture
def shop(shop_settings, site_tree):
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    return make_brand()


def _storefronts(brand, *, creators: int, listings_each: int):
    """``creators`` storefronts each selling one unit of ``listings_each`` of the brand's offers."""
    offers = []
    for number in range(listings_each):
        make_product(brand=brand, variants=[(f"QC-{brand.pk}-{number}", "25.00", 10)])
        offers.append(offer_for(Variant.objects.get(sku=f"QC-{brand.pk}-{number}")))
    people = [make_creator() for _ in range(creators)]
    for creator in people:
        for offer in offers:
            sell(live_listing(offer, creator_id=creator.pk, price="24.00"), 1)
    return people


# session, user, creator profile; listings, sold lines, what refunds and disputes took back, stock on hand
LISTING_FIGURES = 7
# session, user, brand memberships; sales per storefront, what refunds and disputes took back, storefront names
STOREFRONT_SALES = 6


@pytest.mark.parametrize("size", [1, 4])
def test_the_listing_figures_cost_the_same_statements_at_any_size(client, shop, django_assert_num_queries, size):
    creator = _storefronts(shop, creators=1, listings_each=size)[0]
    client.force_login(creator.user)
    client.get(LISTINGS_URL)  # warm-up

    with django_assert_num_queries(LISTING_FIGURES):
        response = client.get(LISTINGS_URL)

    assert [(row["units"], row["margin"]) for row in response.json()] == [(1, "12.80")] * size


@pytest.mark.parametrize("size", [1, 4])
def test_the_storefront_sales_cost_the_same_statements_at_any_size(client, shop, django_assert_num_queries, size):
    _storefronts(shop, creators=size, listings_each=1)
    client.force_login(make_brand_user(brand=shop))
    client.get(SALES_URL)  # warm-up

    with django_assert_num_queries(STOREFRONT_SALES):
        response = client.get(SALES_URL)

    assert [(row["units"], row["sales"], row["wholesale"]) for row in response.json()] == [(1, "24.00", "10.00")] * size
