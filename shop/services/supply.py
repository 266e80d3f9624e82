"""Supply offers (a brand's terms for a variant) and storefront listings (a creator's pick of one).

Brand users make and change only their own brands' offers (``shop.services.brand_access``); staff
any. A change to an offer copies its bounds onto every listing in the same transaction and pauses
the live listings it puts out of bounds, then announces ``events.listings_paused`` so creators can
tell each creator. Listings are kept by creator id; ``creators.services.listings`` checks that the
acting user is that creator before calling these.
"""

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from shop import events
from shop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shop.models import ListingStatus, StorefrontListing, SupplyMode, SupplyOffer, Variant
from shop.money import minor_unit, quantize_minor
from shop.services.brand_access import brand_ids_for_user
from shop.services.cache_versions import touch_variants
from shop.services.listing_prices import bounds_in_force, check_listing_price, minimum_price_allowed

OUT_OF_BOUNDS_REASON = "The brand changed the offer's price bounds; your price is now outside them."


@dataclass(frozen=True)
class OfferTerms:
    """What a brand decides about an offer (the admin form and the services take the same terms)."""

    market: str
    currency: str
    wholesale_price: Decimal
    recommended_price: Decimal
    starts_at: datetime
    mode: str = SupplyMode.RESELLER
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    ends_at: datetime | None = None


def _money(value, *, field: str, currency: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise InvalidInput("Enter an amount.", code="invalid_amount", field=field) from error
    if not amount.is_finite() or amount < 0 or amount != quantize_minor(amount, currency):
        unit = "whole units" if minor_unit(currency) == 1 else "cents at most"
        raise InvalidInput(f"Enter an amount of zero or more, in {unit} ({currency}).", code="invalid_amount",
                           field=field)
    return amount


def validate_offer_terms(terms: OfferTerms, *, variant: Variant) -> OfferTerms:
    """Normalised terms, or InvalidInput naming the field at fault (the form shows it on that field)."""
    market = (terms.market or "").strip().upper()
    if len(market) != 2 or not market.isalpha():
        raise InvalidInput("Give the market as a two-letter code (a country, EU or CN).", code="invalid_market",
                           field="market")
    currency = (terms.currency or "").strip().upper()
    if currency != variant.currency:
        raise InvalidInput(f"Offer {variant.sku} in its catalog currency, {variant.currency}.",
                           code="currency_mismatch", field="currency")
    if terms.mode not in SupplyMode.values:
        raise InvalidInput("Choose agency or reseller.", code="invalid_mode", field="mode")
    wholesale = _money(terms.wholesale_price, field="wholesale_price", currency=currency)
    recommended = _money(terms.recommended_price, field="recommended_price", currency=currency)
    if wholesale is None or recommended is None:
        field = "wholesale_price" if wholesale is None else "recommended_price"
        raise InvalidInput("This price is required.", code="price_required", field=field)
    if recommended < wholesale:
        raise InvalidInput("The recommended price must cover the wholesale price.", code="recommended_below_wholesale",
                           field="recommended_price")
    min_price = _money(terms.min_price, field="min_price", currency=currency)
    max_price = _money(terms.max_price, field="max_price", currency=currency)
    if min_price is not None and not minimum_price_allowed(market):
        raise InvalidInput(f"A minimum resale price may not be imposed in {market}.", code="minimum_price_not_allowed",
                           field="min_price")
    if min_price is not None and min_price > recommended:
        raise InvalidInput("The minimum price must not exceed the recommended price.", code="invalid_bounds",
                           field="min_price")
    if max_price is not None and max_price < recommended:
        raise InvalidInput("The maximum price must not be below the recommended price.", code="invalid_bounds",
                           field="max_price")
    if terms.starts_at is None:
        raise InvalidInput("Give the offer's start.", code="invalid_period", field="starts_at")
    if terms.ends_at is not None and terms.ends_at <= terms.starts_at:
        raise InvalidInput("The offer must end after it starts.", code="invalid_period", field="ends_at")
    return OfferTerms(market=market, currency=currency, wholesale_price=wholesale, recommended_price=recommended,
                      starts_at=terms.starts_at, mode=terms.mode, min_price=min_price, max_price=max_price,
                      ends_at=terms.ends_at)


def check_offer_access(user: AbstractBaseUser, variant: Variant) -> None:
    """Brand users act only on their own brands' variants; staff (unlimited users) on any."""
    brand_ids = brand_ids_for_user(user)
    if brand_ids is not None and variant.product.brand_id not in brand_ids:
        raise PermissionDenied("You may offer only your own brand's products.", code="forbidden", field="variant")


def _apply(offer: SupplyOffer, terms: OfferTerms) -> None:
    for item in fields(OfferTerms):
        setattr(offer, item.name, getattr(terms, item.name))


@transaction.atomic
def create_offer(*, user: AbstractBaseUser, variant: Variant, terms: OfferTerms) -> SupplyOffer:
    check_offer_access(user, variant)
    offer = SupplyOffer(variant=variant)
    _apply(offer, validate_offer_terms(terms, variant=variant))
    offer.save()
    return offer


@transaction.atomic
def update_offer(offer: SupplyOffer, *, user: AbstractBaseUser, terms: OfferTerms) -> SupplyOffer:
    """Change an offer's terms; listings take the new bounds, and live ones now outside them pause."""
    offer = SupplyOffer.objects.select_for_update().select_related("variant__product").get(pk=offer.pk)
    check_offer_access(user, offer.variant)
    _apply(offer, validate_offer_terms(terms, variant=offer.variant))
    offer.save()
    refresh_listing_bounds(offer)
    touch_variants([offer.variant_id])  # pages showing its listings: new prices, bounds, pauses
    return offer


def refresh_listing_bounds(offer: SupplyOffer) -> list[int]:
    """Copy ``offer``'s bounds onto its listings, pausing live ones they now exclude (caller's transaction).

    Three queries however many listings: lock the rows (primary-key order, as checkout does), one update
    pausing those outside the new bounds, one copying the bounds. Returns the ids paused; announces them once with
    ``events.listings_paused`` (creators then write to each creator once)."""
    bounds = bounds_in_force(offer)
    rows = StorefrontListing.objects.select_for_update().filter(offer=offer).order_by("pk")
    paused = [
        listing_id for listing_id, status, price in rows.values_list("pk", "status", "price")
        if status == ListingStatus.LIVE and offer.mode == SupplyMode.RESELLER
        and price is not None and not bounds.contains(price)
    ]
    now = timezone.now()
    if paused:  # first, so no live listing is ever outside the new bounds (listing_live_within_bounds)
        StorefrontListing.objects.filter(pk__in=paused).update(
            status=ListingStatus.PAUSED, paused_reason=OUT_OF_BOUNDS_REASON, updated_at=now)
    StorefrontListing.objects.filter(offer=offer).update(
        price_floor=bounds.floor, price_ceiling=bounds.ceiling, updated_at=now)
    if paused:
        events.listings_paused.send(listing_ids=paused, reason=OUT_OF_BOUNDS_REASON)
    return paused


# --- Listings (by creator id; creators.services.listings checks the acting creator) ---------------


def _listing_price(offer: SupplyOffer, price, *, required: bool) -> Decimal | None:
    """The price to store: none for agency offers; a draft may wait for its price, a live listing not."""
    amount = _money(price, field="price", currency=offer.currency)
    if amount is None and offer.mode == SupplyMode.RESELLER and not required:
        return None
    check_listing_price(offer, amount)
    return amount if offer.mode == SupplyMode.RESELLER else None


def validate_listing(offer: SupplyOffer, *, price, status: str) -> Decimal | None:
    """The price a listing of ``offer`` may store in ``status`` (forms and services ask this), or InvalidInput."""
    if status not in ListingStatus.values:
        raise InvalidInput("Choose draft, live or paused.", code="invalid_status", field="status")
    return _listing_price(offer, price, required=status == ListingStatus.LIVE)


@transaction.atomic
def list_offer(*, creator_id: int, offer: SupplyOffer, price=None) -> StorefrontListing:
    """Put ``offer`` in a creator's storefront as a draft (once per creator and offer)."""
    if StorefrontListing.objects.filter(offer=offer, creator_id=creator_id).exists():
        raise Conflict("This offer is already in your storefront.", code="already_listed", field="offer")
    bounds = bounds_in_force(offer)
    return StorefrontListing.objects.create(
        offer=offer, creator_id=creator_id, price=_listing_price(offer, price, required=False), status=ListingStatus.DRAFT,
        price_floor=bounds.floor, price_ceiling=bounds.ceiling,
    )


def _locked_listing(listing: StorefrontListing, creator_id: int) -> StorefrontListing:
    locked = (StorefrontListing.objects.select_for_update().select_related("offer")
              .filter(pk=listing.pk, creator_id=creator_id).first())
    if locked is None:
        raise NotFound("No such listing in your storefront.", code="listing_not_found")
    return locked


@transaction.atomic
def set_listing_price(listing: StorefrontListing, *, creator_id: int, price) -> StorefrontListing:
    listing = _locked_listing(listing, creator_id)
    listing.price = _listing_price(listing.offer, price, required=listing.status == ListingStatus.LIVE)
    listing.save(update_fields=["price", "updated_at"])
    touch_variants([listing.offer.variant_id])  # pages featuring the listing show its price
    return listing


@transaction.atomic
def set_listing_status(listing: StorefrontListing, *, creator_id: int, status: str) -> StorefrontListing:
    """Draft, live or paused; going live re-checks the price against the bounds in force."""
    listing = _locked_listing(listing, creator_id)
    validate_listing(listing.offer, price=listing.price, status=status)
    listing.status = status
    listing.paused_reason = ""
    listing.save(update_fields=["status", "paused_reason", "updated_at"])
    touch_variants([listing.offer.variant_id])  # pages featuring the listing show whether it is on sale
    return listing
