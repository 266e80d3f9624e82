"""A creator lists supply offers in their storefront: own listings only, bounds in service and form, paused + told."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from creators.services.listings import add_listing, price_listing, set_listing_status
from shop.errors import InvalidInput, NotFound, PermissionDenied
from shop.models import ListingStatus, ProductStatus, StorefrontListing
from shop.services.supply import update_offer
from tests.factories import make_brand, make_brand_user, make_creator, make_product, make_user
from tests.shop.supply_helpers import offer_for, terms

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/snippets/shop/storefrontlisting/add/"


@pytest.fixture
def offer(site_tree):
    brand = make_brand()
    variant = make_product(brand=brand, variants=[("LIST-1", "25.00", 5)]).variants.get()
    manager = make_brand_user(brand=brand)
    return offer_for(variant, user=manager), manager


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_creator_lists_prices_and_publishes_an_offer(offer):
    offer, _ = offer
    creator = make_creator()
    listing = add_listing(creator.user, offer=offer, price="22.00")
    listing = set_listing_status(creator.user, listing, status=ListingStatus.LIVE)
    assert (listing.creator_id, listing.status, listing.price) == (creator.pk, ListingStatus.LIVE, Decimal("22.00"))
    with pytest.raises(InvalidInput) as error:
        price_listing(creator.user, listing, price="31.00")
    assert error.value.code == "price_out_of_bounds"
    with pytest.raises(NotFound):
        price_listing(make_creator().user, listing, price="23.00")
    with pytest.raises(PermissionDenied):
        add_listing(make_user(), offer=offer)


def test_an_archived_products_offer_cannot_be_listed(offer):
    offer, _ = offer
    offer.variant.product.status = ProductStatus.ARCHIVED
    offer.variant.product.save()
    with pytest.raises(NotFound):
        add_listing(make_creator().user, offer=offer, price="22.00")


def test_the_admin_form_refuses_a_price_out_of_bounds_and_saves_one_within(offer):
    offer, _ = offer
    creator = make_creator()
    client = client_of(creator.user)
    refused = client.post(ADD_URL, {"offer": offer.pk, "price": "30.01", "status": "live"})
    assert refused.status_code == 200
    assert "The price must be between 10.53 and 30.00 USD." in refused.content.decode()
    assert StorefrontListing.objects.count() == 0
    saved = client.post(ADD_URL, {"offer": offer.pk, "price": "29.99", "status": "live"})
    assert saved.status_code == 302
    listing = StorefrontListing.objects.get()
    assert (listing.creator_id, listing.price, listing.status) == (creator.pk, Decimal("29.99"), ListingStatus.LIVE)


def test_a_second_creator_gets_404_on_the_first_creators_listing(offer):
    offer, _ = offer
    first, second = make_creator(), make_creator()
    listing = add_listing(first.user, offer=offer, price="22.00")
    edit = f"/admin/snippets/shop/storefrontlisting/edit/{listing.pk}/"
    assert client_of(second.user).get(edit).status_code == 404
    assert client_of(second.user).post(edit, {"price": "11.00", "status": "live"}).status_code == 404
    assert client_of(first.user).get(edit).status_code == 200
    listing.refresh_from_db()
    assert (listing.price, listing.status) == (Decimal("22.00"), ListingStatus.DRAFT)


def test_a_brand_narrowing_bounds_pauses_the_listing_and_emails_its_creator(offer, django_capture_on_commit_callbacks):
    offer, manager = offer
    creator = make_creator()
    listing = set_listing_status(creator.user, add_listing(creator.user, offer=offer, price="28.00"),
                                 status=ListingStatus.LIVE)
    with django_capture_on_commit_callbacks(execute=True):
        update_offer(offer, user=manager, terms=terms(max_price="25.00"))
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PAUSED
    assert [message.to for message in mail.outbox] == [[creator.user.email]]
    assert "LIST-1" in mail.outbox[0].body
