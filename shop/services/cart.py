"""Cart rules: lines by SKU, prices always re-read from the catalog, a per-buyer limit per variant.

Reading a cart (``fetch_cart``, its dataclasses) lives in ``shop.services.cart_reads``; this module changes carts.

A line gets a promotion from the buy link (``/buy/<sku>/?deal=<id>``) or the cart API's
``promotion`` field. Adding with a promotion that no longer applies answers 409
``promotion_ended`` / ``promotion_sold_out`` / ``promotion_not_started`` (field ``promotion``)
and changes nothing, unless the caller passes ``accept_list_price`` (the buy link does, after
telling the reader): then the line is added at the list price, without the promotion.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shop.attribution import Attribution, InvalidAttribution, read_attribution
from shop.errors import Conflict, InvalidInput, NotFound
from shop.models import (
    AddToCartEvent, Cart, CartLine, ProductStatus, Promotion, StorefrontListing, Variant,
)
from shop.services.cart_locks import lock_cart, stamp_open_cart
from shop.services.compiled_inserts import save_new
from shop.services.compiled_queries import compiled
from shop.services.listing_prices import ListingRefusal
from shop.services.cart_reads import (  # noqa: F401 - CartLineInfo, fetch_cart, reprice_cart: this module's API too
    CartInfo, CartLineInfo, _cart_lines, _priced, fetch_cart, reprice_cart,
)
from shop.services.pricing import PromotionRefusal, price_line, promotion_usage
from shop.services.reservations import available_quantities, available_quantity
from shop.services import write_batches


def max_quantity_per_variant() -> int:
    return settings.KOLSHOP_MAX_QUANTITY_PER_VARIANT


def validate_quantity(quantity: int) -> None:
    limit = max_quantity_per_variant()
    if quantity <= 0:
        raise InvalidInput("Quantity must be at least 1.", code="invalid_quantity", field="quantity")
    if quantity > limit:
        raise InvalidInput(f"You can buy at most {limit} of each item.", code="quantity_limit", field="quantity")


def parse_attribution(token: str | None, *, sku: str) -> Attribution | None:
    """The cart API's ``attribution`` token for ``sku``: refused (400) when forged, expired or for another SKU."""
    if not token:
        return None
    try:
        return read_attribution(token, sku=sku)
    except InvalidAttribution as error:
        raise InvalidInput(str(error), code="invalid_attribution", field="attribution") from error


def get_cart(token: str) -> Cart:
    cart = Cart.objects.filter(token=token).first() if token else None
    if cart is None:
        raise NotFound("No cart with this token.", code="cart_not_found")
    return cart


def create_cart() -> Cart:
    return save_new(Cart())



def _variant_by_sku(*, sku: str, available_at: datetime | None = None):
    variants = Variant.objects.select_related("product")
    if available_at is not None:
        variants = variants.annotate(available=available_quantity(available_at, variant_ref="pk"))
    return variants.filter(sku=sku).order_by("pk")[:1]


_compiled_variant_by_sku = compiled(_variant_by_sku)


def _sellable_variant(sku: str, *, available_at: datetime | None = None) -> Variant:
    """The variant with this SKU, on sale; with ``available_at`` it also carries ``available`` (as ``_cart_lines``)."""
    variant = next(iter(_compiled_variant_by_sku(sku=sku, **({"available_at": available_at} if available_at else {}))),
                   None) if sku else None
    if variant is None:
        raise InvalidInput(f"No product has the SKU {sku!r}.", code="unknown_sku", field="sku")
    if variant.product.status != ProductStatus.ACTIVE:
        raise Conflict(f"{sku} is no longer sold.", code="unavailable", field="sku")
    return variant


def _check_fits(variant: Variant, quantity: int, *, other_currencies: set[str], available: int) -> None:
    """``quantity`` of ``variant`` may sit in a cart whose other lines are priced in ``other_currencies``."""
    validate_quantity(quantity)
    if other_currencies and other_currencies != {variant.currency}:
        raise Conflict(
            f"{variant.sku} is priced in {variant.currency}; this cart is in {other_currencies.pop()}.",
            code="currency_mismatch", field="sku",
        )
    if quantity > available:
        raise Conflict(f"Only {available} of {variant.sku} available.", code="insufficient_stock", field="quantity")


def ensure_cart_open(cart: Cart) -> None:
    """A cart buys once: after one of its orders is paid, lines and checkouts need a new cart."""
    if cart.checked_out_at is not None:
        raise Conflict("This cart has already been checked out; start a new cart.", code="cart_checked_out")


_REFUSAL_ERRORS = {
    PromotionRefusal.NOT_STARTED: ("promotion_not_started", "The deal on {sku} has not started yet."),
    PromotionRefusal.ENDED: ("promotion_ended", "The deal on {sku} has ended."),
    PromotionRefusal.SOLD_OUT: ("promotion_sold_out", "The deal on {sku} is sold out."),
    PromotionRefusal.GROUP_ONLY: ("promotion_group_only", "The group price on {sku} is only for group-buy teams."),
}


class PromotionUnavailable(Conflict):
    """A promotion asked for on a cart line does not apply (ended, not started, sold out)."""

    def __init__(self, sku: str, refusal: str):
        code, message = _REFUSAL_ERRORS[refusal]
        super().__init__(message.format(sku=sku), code=code, field="promotion")
        self.refusal = refusal


def _requested_promotion(promotion_id: int | None, variant: Variant) -> Promotion | None:
    if promotion_id is None:
        return None
    promotion = Promotion.objects.filter(pk=promotion_id).first()
    if promotion is None:
        raise InvalidInput("No such deal.", code="unknown_promotion", field="promotion")
    if promotion.variant_id != variant.pk:
        raise InvalidInput(f"This deal is not for {variant.sku}.", code="promotion_mismatch", field="promotion")
    return promotion


def _promotion_for_line(cart: Cart, variant: Variant, promotion: Promotion, *, quantity: int,
                        accept_list_price: bool, now: datetime) -> Promotion | None:
    """The promotion the line keeps: ``promotion`` when it prices ``quantity`` now, else None (or a 409)."""
    usage = promotion_usage([promotion.pk], now=now, exclude_cart_id=cart.pk)
    price = price_line(variant, quantity=quantity, now=now, promotion=promotion, usage=usage)
    if price.promotion is not None:
        return promotion
    if accept_list_price:
        return None
    raise PromotionUnavailable(variant.sku, price.refusal)


def _locked(cart: Cart) -> Cart:
    # Serialises changes to one cart (two tabs adding the same SKU at once).
    cart = lock_cart(cart)
    ensure_cart_open(cart)
    return cart


def _open_for_change(cart: Cart | str) -> Cart:
    """Lock the cart's row until commit (two tabs adding the same SKU at once wait for each other) by
    stamping ``updated_at``, in one statement that also refuses a checked-out cart. ``cart`` may be the
    API's token: that statement then also reads the cart."""
    if isinstance(cart, str):
        stamped = stamp_open_cart(cart, now=timezone.now()) if cart else None
        if stamped is not None:
            return stamped
        current = Cart.objects.filter(token=cart).first() if cart else None
    elif Cart.objects.filter(pk=cart.pk, checked_out_at__isnull=True).update(updated_at=timezone.now()):
        return cart
    else:
        current = Cart.objects.filter(pk=cart.pk).first()
    if current is None:
        raise NotFound("No cart with this token.", code="cart_not_found")
    ensure_cart_open(current)
    return current


class ListingUnavailable(Conflict):
    """A storefront listing asked for on a cart line does not sell now (paused, ended, out of bounds)."""

    def __init__(self, sku: str):
        super().__init__(f"{sku} is not on sale in this storefront now.", code="listing_unavailable", field="listing")


def _requested_listing(listing_id: int | None, variant: Variant, *, now: datetime,
                       accept_list_price: bool = False) -> StorefrontListing | None:
    """A storefront listing asked for on a line: it must be live and price ``variant`` now, else 409
    ``listing_unavailable`` (or, with ``accept_list_price``, no listing: the line sells at the list price)."""
    if listing_id is None:
        return None
    listing = StorefrontListing.objects.select_related("offer").filter(pk=listing_id).first()
    if listing is None:
        raise InvalidInput("No such listing.", code="unknown_listing", field="listing")
    price = price_line(variant, quantity=1, now=now, listing=listing)
    if price.refusal == ListingRefusal.OTHER_VARIANT:
        raise InvalidInput(f"This listing is not for {variant.sku}.", code="listing_mismatch", field="listing")
    if price.listing is None:
        if accept_list_price:
            return None
        raise ListingUnavailable(variant.sku)
    return listing


@transaction.atomic
def add_line_to_cart(cart: Cart | str, *, sku: str, quantity: int, attribution: Attribution | None = None,
                     promotion_id: int | None = None, accept_list_price: bool = False,
                     listing_id: int | None = None) -> CartInfo:
    """Add ``quantity`` of ``sku``; an existing line grows. A new buy link's attribution replaces the line's
    creator, page, block, click and ``attributed_at`` (last click); creators judge the window from them.

    With ``promotion_id`` the line is priced by that promotion (see the module docstring for when
    it no longer applies); without one, an existing line keeps the promotion it had. Returns the cart
    as ``fetch_cart`` reads it, from the rows this already loaded (adding to a cart holds no stock).
    ``cart`` may be the API's token (found and locked in one statement).
    """
    cart = _open_for_change(cart)
    validate_quantity(quantity)
    now = timezone.now()
    # Availability comes with the variant and the lines (no statement of its own; adding holds no stock).
    variant = _sellable_variant(sku, available_at=now)
    promotion = _requested_promotion(promotion_id, variant)
    lines = _cart_lines(cart, available_at=now)
    line = next((line for line in lines if line.variant_id == variant.pk), None)
    new_quantity = quantity + (line.quantity if line else 0)
    available = {line.variant_id: line.available for line in lines} | {variant.pk: variant.available}
    _check_fits(variant, new_quantity, available=available[variant.pk],
                other_currencies={other.variant.currency for other in lines if other.variant_id != variant.pk})
    if line is None:
        line = CartLine(cart=cart, variant=variant)
        lines.append(line)
    if promotion is not None:
        line.promotion = _promotion_for_line(cart, variant, promotion, quantity=new_quantity,
                                             accept_list_price=accept_list_price, now=now)
    if listing_id is not None:
        # A storefront listing prices the line (shop.models.supply); it takes no promotion. The price the
        # reader was shown is kept: checkout charges no other (pricing.listing_quote_holds).
        listing = _requested_listing(listing_id, variant, now=now, accept_list_price=accept_list_price)
        if listing is not None or line.listing_id in (None, listing_id):
            # A refused listing taken at the list price leaves a line another live listing prices alone.
            line.listing, line.promotion = listing, None
            line.quoted_unit_price = (price_line(variant, quantity=1, now=now, listing=listing).unit_price
                                      if listing is not None else None)
    line.quantity = new_quantity
    if attribution is not None and not attribution.is_empty():
        line.creator_id = attribution.creator_id
        line.page_id = attribution.page_id
        line.block_id = attribution.block_id
        line.click_id = attribution.click_id
        line.attributed_at = now
    with write_batches.batched_writes():  # a new line and its event: one statement on PostgreSQL
        if line.pk is None:
            write_batches.insert([line])
        else:
            line.save()
        write_batches.insert([AddToCartEvent(
            cart=cart, variant_id=variant.pk, product_id=variant.product_id, brand_id=variant.product.brand_id,
            quantity=quantity, currency=variant.currency, creator_id=line.creator_id, page_id=line.page_id,
            block_id=line.block_id, click_id=line.click_id,
        )])
    return _priced(cart, lines, available=available, now=now)


def add_to_cart(cart: Cart, *, sku: str, quantity: int, attribution: Attribution | None = None,
                promotion_id: int | None = None, accept_list_price: bool = False,
                listing_id: int | None = None) -> CartLine:
    """``add_line_to_cart``, answering with the line it added to."""
    info = add_line_to_cart(cart, sku=sku, quantity=quantity, attribution=attribution, promotion_id=promotion_id,
                            accept_list_price=accept_list_price, listing_id=listing_id)
    return next(line.line for line in info.lines if line.sku == sku)


@transaction.atomic
def set_line_quantity(cart: Cart, *, sku: str, quantity: int) -> CartLine:
    validate_quantity(quantity)
    cart = _locked(cart)
    line = cart.lines.select_related("variant__product", "promotion").filter(variant__sku=sku).first()
    if line is None:
        raise NotFound(f"{sku} is not in this cart.", code="line_not_found", field="sku")
    if quantity > line.quantity:
        variant = _sellable_variant(sku)
        _check_fits(variant, quantity, available=available_quantities([variant.pk])[variant.pk], other_currencies=set(
            cart.lines.exclude(variant=variant).values_list("variant__currency", flat=True).distinct()))
        if line.promotion is not None:
            # More units than the deal has left is a 409, not a silent switch of the line to the list price.
            _promotion_for_line(cart, line.variant, line.promotion, quantity=quantity, accept_list_price=False,
                                now=timezone.now())
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def remove_line(cart: Cart, *, sku: str) -> None:
    cart = _locked(cart)
    deleted, _ = cart.lines.filter(variant__sku=sku).delete()
    if not deleted:
        raise NotFound(f"{sku} is not in this cart.", code="line_not_found", field="sku")
    cart.save(update_fields=["updated_at"])
