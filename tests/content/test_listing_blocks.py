"""A creator features a storefront listing in a guide: the listing's price, buy links that carry it."""

from urllib.parse import parse_qs, urlparse

import pytest

from shop.models import Cart, ListingStatus
from shop.services.supply import update_offer
from tests.factories import block, make_brand, make_creator, make_guide, make_product
from tests.shop.supply_helpers import brand_user_of, live_listing, offer_for, terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def featured(settings, site_tree):
    settings.KOLSHOP_PAYMENT_GATEWAY = "dummy"
    settings.KOLSHOP_DEFAULT_CURRENCY = "USD"
    brand = make_brand()
    manager = brand_user_of(brand)
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
