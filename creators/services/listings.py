"""A creator's storefront listings: the creator-side entry to ``shop.services.supply``.

The shop keeps listings by creator id; here the acting user becomes their creator profile, so a
creator lists, prices and publishes only in their own storefront (another creator's listing is
"not found"). When a brand's change pauses listings, each creator is told by e-mail after the
commit (``tell_creators_listings_paused``, connected to ``shop.events.listings_paused``).
"""

from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from creators.models import CreatorProfile
from shop import events
from shop.errors import NotFound, PermissionDenied
from shop.models import ProductStatus, StorefrontListing, SupplyOffer
from shop.services import supply


def creator_of(user) -> CreatorProfile:
    profile = CreatorProfile.objects.filter(user_id=getattr(user, "pk", None)).first()
    if profile is None:
        raise PermissionDenied("Only creators have storefronts.", code="not_a_creator")
    return profile


def add_listing(user, *, offer: SupplyOffer, price: Decimal | str | None = None) -> StorefrontListing:
    """List ``offer`` in the user's storefront (a draft) at ``price`` (reseller offers)."""
    creator = creator_of(user)
    if offer.variant.product.status != ProductStatus.ACTIVE:
        raise NotFound("No such offer.", code="offer_not_found", field="offer")
    return supply.list_offer(creator_id=creator.pk, offer=offer, price=price)


def price_listing(user, listing: StorefrontListing, *, price: Decimal | str | None) -> StorefrontListing:
    return supply.set_listing_price(listing, creator_id=creator_of(user).pk, price=price)


def set_listing_status(user, listing: StorefrontListing, *, status: str) -> StorefrontListing:
    return supply.set_listing_status(listing, creator_id=creator_of(user).pk, status=status)


def tell_creators_listings_paused(*, listing_ids: list[int], reason: str, **_payload) -> None:
    """One e-mail per creator naming their paused listings, sent once the pausing change commits."""
    listings = StorefrontListing.objects.filter(pk__in=listing_ids).select_related("offer__variant__product")
    by_creator: dict[int, list[str]] = {}
    for listing in listings.order_by("pk"):
        by_creator.setdefault(listing.creator_id, []).append(str(listing.offer.variant))
    creators = CreatorProfile.objects.filter(pk__in=by_creator).select_related("user").order_by("pk")
    for creator in creators:
        if not creator.user.email:
            continue
        body = f"{reason}\n\nPaused:\n" + "\n".join(f"- {name}" for name in by_creator[creator.pk])
        body += "\n\nSet a price within the new bounds and publish the listing again."
        transaction.on_commit(lambda email=creator.user.email, body=body: send_mail(
            "Storefront listings paused", body, settings.DEFAULT_FROM_EMAIL, [email]))


def connect_listing_events() -> None:
    events.listings_paused.connect(tell_creators_listings_paused)
