"""Supply offers in the admin: a brand user makes and edits their own brand's offers; a second brand gets 404."""

from decimal import Decimal

import pytest
from django.test import Client

from shop.models import ListingStatus, SupplyOffer
from tests.factories import make_brand, make_brand_user, make_creator, make_product
from tests.shop.supply_helpers import live_listing, offer_for

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/snippets/shop/supplyoffer/add/"


def form(variant, **overrides) -> dict:
    data = {"variant": variant.pk, "market": "US", "currency": "USD", "mode": "reseller",
            "wholesale_price": "10.00", "recommended_price": "20.00", "min_price": "", "max_price": "30.00",
            "starts_at": "2026-01-01 00:00", "ends_at": ""}
    data.update(overrides)
    return data


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def brands(site_tree):
    brand_a, brand_b = make_brand("Alpha"), make_brand("Bravo")
    variant_a = make_product(brand=brand_a, variants=[("ALPHA-1", "25.00", 5)]).variants.get()
    variant_b = make_product(brand=brand_b, variants=[("BRAVO-1", "25.00", 5)]).variants.get()
    alpha, bravo = make_brand_user("alpha-manager", brand=brand_a), make_brand_user("bravo-manager", brand=brand_b)
    return alpha, bravo, variant_a, variant_b


def test_a_brand_user_creates_an_offer_for_their_own_variant(brands):
    user_a, _, variant_a, variant_b = brands
    client = client_of(user_a)
    response = client.post(ADD_URL, form(variant_a))
    assert response.status_code == 302
    offer = SupplyOffer.objects.get()
    assert (offer.variant_id, offer.wholesale_price, offer.max_price) == (variant_a.pk, Decimal("10.00"),
                                                                          Decimal("30.00"))
    refused = client.post(ADD_URL, form(variant_b))
    assert refused.status_code == 200
    assert SupplyOffer.objects.count() == 1


def test_the_form_refuses_a_minimum_price_in_the_eu_and_bounds_around_the_recommended_price(brands):
    user_a, _, variant_a, _ = brands
    client = client_of(user_a)
    response = client.post(ADD_URL, form(variant_a, market="FR", min_price="12.00"))
    assert response.status_code == 200
    assert "A minimum resale price may not be imposed in FR." in response.content.decode()
    response = client.post(ADD_URL, form(variant_a, max_price="19.00"))
    assert "The maximum price must not be below the recommended price." in response.content.decode()
    assert SupplyOffer.objects.count() == 0


def test_a_second_brand_gets_404_on_the_first_brands_offer(brands):
    user_a, user_b, variant_a, _ = brands
    offer = offer_for(variant_a, user=user_a)
    edit = f"/admin/snippets/shop/supplyoffer/edit/{offer.pk}/"
    assert client_of(user_b).get(edit).status_code == 404
    assert client_of(user_b).post(edit, form(variant_a, max_price="99.00")).status_code == 404
    assert client_of(user_a).get(edit).status_code == 200
    assert "ALPHA-1" not in client_of(user_b).get("/admin/snippets/shop/supplyoffer/").content.decode()


def test_editing_the_bounds_in_the_admin_pauses_listings_now_outside_them(brands):
    user_a, _, variant_a, _ = brands
    offer = offer_for(variant_a, user=user_a)
    listing = live_listing(offer, creator_id=make_creator().pk, price="28.00")
    response = client_of(user_a).post(f"/admin/snippets/shop/supplyoffer/edit/{offer.pk}/",
                                      form(variant_a, max_price="25.00"))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.status, listing.price_ceiling) == (ListingStatus.PAUSED, Decimal("25.00"))
