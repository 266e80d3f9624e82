"""What a storefront listing sells at, the bounds in force, and how the buyer's money splits.

``shop.services.pricing.price_line`` calls these (it stays the one pricing authority); the offer and
listing services and the admin forms call ``bounds_in_force`` and ``check_listing_price`` so the
service, the form and the database (``listing_live_within_bounds``, ``order_line_supply_within_bounds``)
enforce the same bounds.

The split of a line's total ``T`` (what the buyer paid for it) is, to the currency's minor unit (prices are
whole yen in JPY, ``supply._money``):

    platform_fee = round(T × KOLSHOP_PLATFORM_FEE_RATE)
    wholesale    = offer wholesale × quantity     (agency: T − platform_fee, the brand's share)
    margin       = T − wholesale − platform_fee   (agency: 0; the creator earns commission instead)

so ``wholesale + margin + fee == T`` always. The lowest reseller price is the one whose fee still
leaves the wholesale covered (``cost_floor``): at or above it the margin is never negative.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from urllib.parse import urlencode

from django.conf import settings

from shop.errors import InvalidInput
from shop.models import ListingStatus, StorefrontListing, SupplyMode, SupplyOffer, Variant
from shop.money import CENT, minor_unit, quantize, quantize_minor

# Where resale price maintenance is restricted: a brand may not impose a minimum price (README).
EU_MEMBER_STATES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)


class ListingRefusal:
    """Why a listing did not price a line (the line then sells at the catalog's list price)."""

    NOT_LIVE = "listing_not_live"
    OTHER_VARIANT = "listing_other_variant"
    NOT_STARTED = "offer_not_started"
    ENDED = "offer_ended"
    OUT_OF_BOUNDS = "out_of_bounds"


@dataclass(frozen=True)
class SupplySplit:
    wholesale: Decimal
    margin: Decimal
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.wholesale + self.margin + self.fee


@dataclass(frozen=True)
class Bounds:
    floor: Decimal
    ceiling: Decimal | None

    def contains(self, price: Decimal) -> bool:
        return price >= self.floor and (self.ceiling is None or price <= self.ceiling)


def platform_fee_rate() -> Decimal:
    return Decimal(str(settings.KOLSHOP_PLATFORM_FEE_RATE))


def minimum_price_allowed(market: str) -> bool:
    """Whether a brand may impose a minimum resale price in ``market`` (off for the EU and China by default)."""
    restricted = {code.upper() for code in settings.KOLSHOP_NO_MINIMUM_PRICE_MARKETS}
    market = (market or "").upper()
    if "EU" in restricted and market in EU_MEMBER_STATES:
        return False
    return market not in restricted


def cost_floor(wholesale_price: Decimal, *, rate: Decimal | None = None, currency: str = "") -> Decimal:
    """The lowest unit price P with P × (1 − rate) ≥ wholesale, in the currency's minor unit (whole cents; whole
    yen for JPY), so no margin goes negative."""
    rate = platform_fee_rate() if rate is None else rate
    floor = Decimal(wholesale_price) / (1 - rate)
    return floor.quantize(minor_unit(currency), rounding=ROUND_CEILING).quantize(CENT)


def bounds_in_force(offer: SupplyOffer) -> Bounds:
    """The unit prices a listing of ``offer`` may sell at: agency offers only at the recommended price."""
    if offer.mode == SupplyMode.AGENCY:
        return Bounds(floor=offer.recommended_price, ceiling=offer.recommended_price)
    floor = cost_floor(offer.wholesale_price, currency=offer.currency)
    if offer.min_price is not None and minimum_price_allowed(offer.market):
        floor = max(floor, offer.min_price)
    return Bounds(floor=floor, ceiling=offer.max_price)


def check_listing_price(offer: SupplyOffer, price: Decimal | None) -> None:
    """Refuse (400 ``price_out_of_bounds``, field ``price``) a creator's price outside the bounds in force."""
    if offer.mode == SupplyMode.AGENCY:
        if price is not None and price != offer.recommended_price:
            raise InvalidInput("Agency offers sell at the brand's price; leave the price empty.",
                               code="price_not_allowed", field="price")
        return
    if price is None:
        raise InvalidInput("Set your price for this offer.", code="price_required", field="price")
    bounds = bounds_in_force(offer)
    if not bounds.contains(price):
        ceiling = f" and {bounds.ceiling}" if bounds.ceiling is not None else " or more"
        raise InvalidInput(f"The price must be between {bounds.floor}{ceiling} {offer.currency}.",
                           code="price_out_of_bounds", field="price")


def listing_unit_price(listing: StorefrontListing) -> Decimal | None:
    offer = listing.offer
    return offer.recommended_price if offer.mode == SupplyMode.AGENCY else listing.price


def listing_refusal(listing: StorefrontListing, variant: Variant, *, now: datetime) -> str | None:
    offer = listing.offer
    if offer.variant_id != variant.pk or offer.currency != variant.currency:
        return ListingRefusal.OTHER_VARIANT
    if listing.status != ListingStatus.LIVE or listing_unit_price(listing) is None:
        return ListingRefusal.NOT_LIVE
    if now < offer.starts_at:
        return ListingRefusal.NOT_STARTED
    if offer.ends_at is not None and now >= offer.ends_at:
        return ListingRefusal.ENDED
    if not bounds_in_force(offer).contains(listing_unit_price(listing)):
        return ListingRefusal.OUT_OF_BOUNDS
    return None


def sells_at_margin(line) -> bool:
    """An order line sold from a reseller listing: its creator earns the margin, not a commission too."""
    return line.listing_id is not None and line.listing.offer.mode == SupplyMode.RESELLER


def listing_buy_path(path: str, listing_id: int | None) -> str:
    """A buy link (``shop.attribution.buy_path``) that asks for a storefront listing: ``…&listing=<id>``."""
    if listing_id is None:
        return path
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urlencode({'listing': listing_id})}"


def split_line(offer: SupplyOffer, *, line_total: Decimal, quantity: int) -> SupplySplit:
    """Split what the buyer paid for a line between brand, creator and platform (module docstring)."""
    line_total = quantize(line_total)
    fee = quantize_minor(line_total * platform_fee_rate(), offer.currency)  # whole yen in JPY, so every part is whole
    if offer.mode == SupplyMode.AGENCY:
        return SupplySplit(wholesale=line_total - fee, margin=Decimal("0.00"), fee=fee)
    wholesale = quantize(offer.wholesale_price * quantity)
    return SupplySplit(wholesale=wholesale, margin=line_total - wholesale - fee, fee=fee)


# Who funds a voucher (``shop.services.vouchers.voucher_funder``): its discount on a listing line comes out of
# that funder's part only, so no part goes negative and the brand's wholesale is never cut (README, #21).
PLATFORM_FUNDED = "platform"
CREATOR_FUNDED = "creator"
BRAND_FUNDED = "brand"  # the brand's part is its wholesale (reseller lines) or its revenue (agency: T − fee)


def discount_room(split: SupplySplit, *, funder: str) -> Decimal:
    """The most of a voucher's discount a listing line can carry: its funder's own part of the line."""
    return {PLATFORM_FUNDED: split.fee, CREATOR_FUNDED: split.margin, BRAND_FUNDED: split.wholesale}.get(
        funder, Decimal("0.00"))


def split_discounted(split: SupplySplit, *, discount: Decimal, funder: str | None) -> SupplySplit:
    """The split of a line after a voucher's ``discount``: taken off the funder's part, the others unchanged,
    so ``wholesale + margin + fee`` is still what the buyer paid."""
    if not discount:
        return split
    if funder is None or discount > discount_room(split, funder=funder):
        raise ValueError(f"A discount of {discount} exceeds what the {funder} funds on this line.")
    if funder == PLATFORM_FUNDED:
        return replace(split, fee=split.fee - discount)
    if funder == BRAND_FUNDED:
        return replace(split, wholesale=split.wholesale - discount)
    return replace(split, margin=split.margin - discount)
