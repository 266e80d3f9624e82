"""Supply offers: terms validated once (service and form), brand scoping, per-market minimum prices."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from shop.errors import InvalidInput, PermissionDenied
from shop.models import ListingStatus, StorefrontListing, SupplyMode
from shop.services.listing_prices import bounds_in_force, cost_floor, minimum_price_allowed
from shop.services.supply import list_offer, set_listing_price, set_listing_status, update_offer
from tests.factories import make_brand, make_brand_user, make_product
from tests.shop.supply_helpers import live_listing, offer_for, terms

pytestmark = pytest.mark.django_db


def variant_of(brand=None, *, sku="SUP-1", price="25.00"):
    return make_product(brand=brand, variants=[(sku, price, 10)]).variants.get()


def test_minimum_price_may_not_be_imposed_in_the_eu_or_china_by_default(settings):
    assert [minimum_price_allowed(market) for market in ("US", "GB", "EU", "DE", "FR", "CN")] == [
        True, True, False, False, False, False]
    settings.KOLSHOP_NO_MINIMUM_PRICE_MARKETS = ["CN"]
    assert (minimum_price_allowed("DE"), minimum_price_allowed("CN")) == (True, False)


def test_an_eu_offer_with_a_minimum_price_is_refused():
    variant = variant_of()
    with pytest.raises(InvalidInput) as error:
        offer_for(variant, market="DE", min_price="15.00")
    assert (error.value.code, error.value.field) == ("minimum_price_not_allowed", "min_price")
    offer = offer_for(variant, market="US", min_price="15.00")
    assert bounds_in_force(offer).floor == Decimal("15.00")


def test_terms_are_validated_field_by_field():
    variant = variant_of()
    cases = [
        (dict(recommended_price="9.00"), "recommended_below_wholesale", "recommended_price"),
        (dict(max_price="19.99"), "invalid_bounds", "max_price"),
        (dict(market="US", min_price="20.01"), "invalid_bounds", "min_price"),
        (dict(currency="EUR"), "currency_mismatch", "currency"),
        (dict(market="USA"), "invalid_market", "market"),
        (dict(wholesale_price="1.001"), "invalid_amount", "wholesale_price"),
        (dict(mode="consignment"), "invalid_mode", "mode"),
    ]
    for overrides, code, field in cases:
        with pytest.raises(InvalidInput) as error:
            offer_for(variant, **overrides)
        assert (error.value.code, error.value.field) == (code, field), overrides


def test_a_brand_user_offers_only_their_own_brands_variants():
    brand_a, brand_b = make_brand(), make_brand()
    own, other = variant_of(brand_a, sku="OWN-1"), variant_of(brand_b, sku="OTHER-1")
    user = make_brand_user(brand=brand_a)
    offer = offer_for(own, user=user)
    assert offer.variant_id == own.pk
    with pytest.raises(PermissionDenied):
        offer_for(other, user=user)
    with pytest.raises(PermissionDenied):
        update_offer(offer, user=make_brand_user(brand=brand_b), terms=terms(max_price="40.00"))


def test_the_reseller_floor_covers_wholesale_and_the_platform_fee(settings):
    settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    assert cost_floor(Decimal("10.00")) == Decimal("10.53")
    offer = offer_for(variant_of())
    assert bounds_in_force(offer).floor == Decimal("10.53")
    assert bounds_in_force(offer).ceiling == Decimal("30.00")


def test_a_listing_price_outside_the_bounds_is_refused_by_the_service():
    offer = offer_for(variant_of())
    listing = list_offer(creator_id=7, offer=offer)
    for price in ("10.52", "30.01"):
        with pytest.raises(InvalidInput) as error:
            set_listing_price(listing, creator_id=7, price=price)
        assert error.value.code == "price_out_of_bounds"
    with pytest.raises(InvalidInput) as error:
        set_listing_status(listing, creator_id=7, status=ListingStatus.LIVE)
    assert error.value.code == "price_required"
    assert set_listing_price(listing, creator_id=7, price="30.00").price == Decimal("30.00")


def test_the_database_refuses_a_live_listing_outside_its_bounds():
    listing = live_listing(offer_for(variant_of()), creator_id=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        StorefrontListing.objects.filter(pk=listing.pk).update(price=Decimal("30.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        StorefrontListing.objects.filter(pk=listing.pk).update(price=Decimal("10.52"))
    StorefrontListing.objects.filter(pk=listing.pk).update(status=ListingStatus.PAUSED, price=Decimal("30.01"))


def test_another_creator_cannot_touch_a_listing():
    listing = list_offer(creator_id=7, offer=offer_for(variant_of()), price="20.00")
    with pytest.raises(Exception) as error:
        set_listing_price(listing, creator_id=8, price="21.00")
    assert error.value.code == "listing_not_found"


def test_a_brand_narrowing_its_bounds_pauses_listings_outside_them_and_tells_creators(django_capture_on_commit_callbacks):
    from shop import events

    brand = make_brand()
    user = make_brand_user(brand=brand)
    offer = offer_for(variant_of(brand), user=user)
    inside = live_listing(offer, creator_id=7, price="22.00")
    outside = live_listing(offer, creator_id=8, price="28.00")
    told = []
    handler = events.listings_paused.connect(lambda **payload: told.append(payload))
    try:
        update_offer(offer, user=user, terms=terms(max_price="25.00"))
    finally:
        events.listings_paused.disconnect(handler)
    inside.refresh_from_db()
    outside.refresh_from_db()
    assert (inside.status, inside.price_ceiling) == (ListingStatus.LIVE, Decimal("25.00"))
    assert (outside.status, outside.price_ceiling) == (ListingStatus.PAUSED, Decimal("25.00"))
    assert told == [{"listing_ids": [outside.pk], "reason": outside.paused_reason}]


def test_agency_offers_sell_at_the_recommended_price():
    offer = offer_for(variant_of(), mode=SupplyMode.AGENCY)
    with pytest.raises(InvalidInput) as error:
        list_offer(creator_id=7, offer=offer, price="22.00")
    assert error.value.code == "price_not_allowed"
    listing = live_listing(offer, creator_id=7, price=None)
    assert (listing.price, listing.price_floor, listing.price_ceiling) == (None, Decimal("20.00"), Decimal("20.00"))


def test_refreshing_bounds_costs_the_same_queries_for_two_listings_or_twelve(django_assert_num_queries):
    from shop.services.supply import refresh_listing_bounds

    def offer_with_listings(count: int, sku: str):
        offer = offer_for(variant_of(sku=sku))
        for creator_id in range(1, count + 1):
            live_listing(offer, creator_id=creator_id, price="28.00" if creator_id % 2 else "22.00")
        offer.max_price = Decimal("25.00")
        offer.save()
        return offer

    small, large = offer_with_listings(2, "SUP-S"), offer_with_listings(12, "SUP-L")
    for offer, paused_count in ((small, 1), (large, 6)):
        # lock, pause those outside, bounds for all; then the creators' notice reads the listings and creators
        with django_assert_num_queries(5):
            paused = refresh_listing_bounds(offer)
        assert len(paused) == paused_count
        rows = StorefrontListing.objects.filter(offer=offer).order_by("creator_id")
        assert [(row.status, row.price_ceiling) for row in rows][:2] == [
            (ListingStatus.PAUSED, Decimal("25.00")), (ListingStatus.LIVE, Decimal("25.00"))]
        assert set(paused) == set(rows.filter(status=ListingStatus.PAUSED).values_list("pk", flat=True))
        assert set(rows.values_list("paused_reason", flat=True)) == {"", rows.get(creator_id=1).paused_reason}
