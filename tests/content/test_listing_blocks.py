"""A creator features a storefront listing in a guide: the listing's price, buy links that carry it."""

import json
from urllib.parse import parse_qs, urlparse

import pytest

from shop.models import Cart, ListingStatus
from shop.services.supply import update_offer
from tests.factories import block, make_brand, make_brand_user, make_creator, make_guide, make_product
from tests.shop.supply_helpers import live_listing, offer_for, terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def featured(shop_settings, site_tree):
    brand = make_brand()
    manager = make_brand_user(brand=brand)
    offer = offer_for(make_product(brand=brand, variants=[("FEAT-1", "25.00", 9)]).variants.get(), user=manager)
    creator = make_creator()
    listing = live_listing(offer, creator_id=creator.pk, price="27.50")
    guide = make_guide(creator, body=[block("listing", {"listing": listing.pk, "note": "My pick"})])
    return {"manager": manager, "offer": offer, "listing": listing, "guide": guide, "creator": creator}


def test_the_api_shows_the_listing_price_and_a_buy_link_carrying_the_listing(featured, api_client):
    value = api_client.get(f"/api/v2/pages/{featured['guide'].pk}/").json()["body"][0]["value"]
    assert value["listing"] == {"id": featured["listing"].pk, "creator_id": featured["creator"].pk,
                                "price": "27.50", "list_price": "25.00", "currency": "USD", "active": True,
                                "refusal": None}
    assert value["note"] == "My pick"
    assert parse_qs(urlparse(value["buy_url"]).query)["listing"] == [str(featured["listing"].pk)]


def test_following_the_buy_link_prices_the_cart_line_by_the_listing(featured, api_client, client):
    buy_url = api_client.get(f"/api/v2/pages/{featured['guide'].pk}/").json()["body"][0]["value"]["buy_url"]
    html = client.get(buy_url, follow=True).content.decode()
    line = Cart.objects.get(lines__isnull=False).lines.get()
    assert (line.listing_id, line.creator_id, line.page_id) == (
        featured["listing"].pk, featured["creator"].pk, featured["guide"].pk)
    assert "27.50 USD" in html


def test_a_paused_listing_shows_no_buy_link(featured, api_client, client):
    update_offer(featured["offer"], user=featured["manager"], terms=terms(max_price="26.00"))
    featured["listing"].refresh_from_db()
    assert featured["listing"].status == ListingStatus.PAUSED
    value = api_client.get(f"/api/v2/pages/{featured['guide'].pk}/").json()["body"][0]["value"]
    assert (value["listing"]["active"], value["listing"]["refusal"], value["buy_url"]) == (
        False, "listing_not_live", None)
    html = client.get(featured["guide"].url).content.decode()
    assert "Not on sale in this storefront right now." in html


def test_the_page_records_the_listing_and_its_product_as_references(featured):
    from wagtail.models import ReferenceIndex

    from shop.models import Product, StorefrontListing

    references = ReferenceIndex.get_references_for_object(featured["guide"])
    catalog = [(ref.to_content_type.model_class().__name__, ref.to_object_id) for ref in references
               if ref.to_content_type.model_class() in (Product, StorefrontListing)]
    assert sorted(catalog) == sorted([
        (StorefrontListing.__name__, str(featured["listing"].pk)),
        (Product.__name__, str(featured["offer"].variant.product_id)),
    ])


def test_pausing_a_listing_drops_the_cached_page(featured, api_client):
    from creators.services.listings import set_listing_status

    url = f"/api/v2/pages/{featured['guide'].pk}/"
    assert api_client.get(url).json()["body"][0]["value"]["listing"]["active"] is True

    set_listing_status(featured["creator"].user, featured["listing"], status=ListingStatus.PAUSED)

    assert api_client.get(url).json()["body"][0]["value"]["listing"]["active"] is False


def test_a_new_listing_price_and_a_brand_bounds_change_drop_the_cached_page(featured, api_client):
    from creators.services.listings import price_listing

    url = f"/api/v2/pages/{featured['guide'].pk}/"
    assert api_client.get(url).json()["body"][0]["value"]["listing"]["price"] == "27.50"

    price_listing(featured["creator"].user, featured["listing"], price="28.00")
    assert api_client.get(url).json()["body"][0]["value"]["listing"]["price"] == "28.00"

    update_offer(featured["offer"], user=featured["manager"], terms=terms(max_price="26.00"))
    assert api_client.get(url).json()["body"][0]["value"]["listing"] == {
        "id": featured["listing"].pk, "creator_id": featured["creator"].pk, "price": "25.00", "list_price": "25.00",
        "currency": "USD", "active": False, "refusal": "listing_not_live"}


def test_a_paused_listings_buy_link_adds_the_product_at_the_list_price_and_says_so(featured, api_client, client):
    buy_url = api_client.get(f"/api/v2/pages/{featured['guide'].pk}/").json()["body"][0]["value"]["buy_url"]
    update_offer(featured["offer"], user=featured["manager"], terms=terms(max_price="26.00"))

    html = client.get(buy_url, follow=True).content.decode()

    line = Cart.objects.get(lines__isnull=False).lines.get()
    assert (line.listing_id, line.quoted_unit_price, line.creator_id) == (None, None, featured["creator"].pk)
    assert "FEAT-1 is not on sale in this storefront now. It is in your cart at the regular price." in html
    assert "25.00 USD" in html and "27.50" not in html


def test_the_api_adds_a_paused_listings_sku_at_the_list_price_only_when_asked(featured, client):
    def post(path, payload):
        return client.post(f"/api/v1{path}", json.dumps(payload), content_type="application/json")

    update_offer(featured["offer"], user=featured["manager"], terms=terms(max_price="26.00"))
    token = post("/carts", {}).json()["token"]
    refused = post(f"/carts/{token}/lines", {"sku": "FEAT-1", "quantity": 1, "listing": featured["listing"].pk})
    assert (refused.status_code, refused.json()["code"]) == (409, "listing_unavailable")
    added = post(f"/carts/{token}/lines", {"sku": "FEAT-1", "quantity": 1, "listing": featured["listing"].pk,
                                           "accept_list_price": True})
    assert (added.status_code, added.json()["lines"][0]["unit_price"]) == (201, "25.00")


def test_a_paused_listings_buy_link_leaves_a_line_another_live_listing_prices_alone(featured):
    from shop.services.cart import add_to_cart
    from shop.services.supply import set_listing_status

    other_creator = make_creator()
    paused = live_listing(featured["offer"], creator_id=other_creator.pk, price="26.00")
    set_listing_status(paused, creator_id=other_creator.pk, status=ListingStatus.PAUSED)
    cart = Cart.objects.create()
    add_to_cart(cart, sku="FEAT-1", quantity=1, listing_id=featured["listing"].pk)

    add_to_cart(cart, sku="FEAT-1", quantity=1, listing_id=paused.pk, accept_list_price=True)

    line = cart.lines.get()
    assert (line.quantity, line.listing_id, line.quoted_unit_price) == (2, featured["listing"].pk, featured["listing"].price)
