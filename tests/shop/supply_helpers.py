"""Builders for distribution tests: offers and listings (brand users: ``tests.factories.make_brand_user``)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shop.models import Cart, ListingStatus, StorefrontListing, SupplyMode, SupplyOffer, Variant
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from shop.services.supply import OfferTerms, create_offer, list_offer, set_listing_status
from tests.factories import make_user
from tests.shop.helpers import checkout


def staff():
    return make_user(is_superuser=True)


def terms(**overrides) -> OfferTerms:
    values = dict(market="US", currency="USD", wholesale_price=Decimal("10.00"), recommended_price=Decimal("20.00"),
                  starts_at=timezone.now() - timedelta(days=1), mode=SupplyMode.RESELLER, min_price=None,
                  max_price=Decimal("30.00"), ends_at=None)
    values.update({key: Decimal(value) if isinstance(value, str) and key.endswith("price") else value
                   for key, value in overrides.items()})
    return OfferTerms(**values)


def offer_for(variant: Variant, *, user=None, **overrides) -> SupplyOffer:
    return create_offer(user=user or staff(), variant=variant, terms=terms(**overrides))


def live_listing(offer: SupplyOffer, *, creator_id: int, price: str | None = "24.00") -> StorefrontListing:
    listing = list_offer(creator_id=creator_id, offer=offer, price=price)
    return set_listing_status(listing, creator_id=creator_id, status=ListingStatus.LIVE)


def sell(listing, quantity: int, *, pay: bool = True):
    """One order of ``quantity`` of ``listing``, paid unless ``pay`` is false."""

    cart = Cart.objects.create()
    add_line_to_cart(cart, sku=listing.offer.variant.sku, quantity=quantity, listing_id=listing.pk)
    order = checkout(cart).order
    return confirm_payment(order) if pay else order
