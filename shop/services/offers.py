"""What a reader is offered for a product (or one of its variants): price, stock status, availability.

Pure computation on already-loaded rows (variants with their stock prefetched), so rendering many
blocks never costs a query per product.
"""

from dataclasses import dataclass
from decimal import Decimal

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.models import Product, ProductStatus, Stock, StockLevel, Variant
from shop.models.inventory import StockStatus
from shop.services.reservations import active_reserved_quantity


class UnavailableReason:
    ARCHIVED = "archived"
    DELETED = "deleted"
    SOLD_OUT = "sold_out"
    NO_VARIANTS = "no_variants"


UNAVAILABLE_MESSAGES = {
    UnavailableReason.ARCHIVED: _("This product is no longer sold."),
    UnavailableReason.DELETED: _("This product has been removed."),
    UnavailableReason.SOLD_OUT: _("Sold out."),
    UnavailableReason.NO_VARIANTS: _("Not available yet."),
}


@dataclass(frozen=True)
class Offer:
    product: Product | None
    variant: Variant | None
    price: Decimal | None
    compare_at_price: Decimal | None
    currency: str | None
    stock: StockStatus
    unavailable_reason: str | None

    @property
    def available(self) -> bool:
        return self.unavailable_reason is None

    @property
    def unavailable_message(self) -> str:
        return str(UNAVAILABLE_MESSAGES.get(self.unavailable_reason, "")) if self.unavailable_reason else ""


def stock_record(variant: Variant) -> Stock | None:
    try:
        return variant.stock
    except Stock.DoesNotExist:
        return None


def with_availability(variants: QuerySet, *, now: datetime | None = None) -> QuerySet:
    """The variant rows every offer is computed from: stock joined in, active reservations summed.

    This and ``available_quantity`` are the one place that decides what "available" means
    (on hand minus unexpired reservations), in the same query as the variants.
    """
    now = now or timezone.now()
    return variants.select_related("stock").annotate(reserved_quantity=active_reserved_quantity(now, variant_ref="pk"))


def available_quantity(variant: Variant) -> int:
    """Units a reader can buy now: on hand minus what ``with_availability`` found reserved."""
    stock = stock_record(variant)
    on_hand = stock.on_hand if stock is not None else 0
    return max(on_hand - getattr(variant, "reserved_quantity", 0), 0)


def variant_stock_status(variant: Variant, *, quantity: int | None = None) -> StockStatus:
    """In stock, low (with the count) or out of stock; ``quantity`` is ``available_quantity(variant)`` when the
    caller has worked it out already (an offer weighs every variant's)."""
    stock = stock_record(variant)
    threshold = stock.low_stock_threshold if stock is not None else None
    if quantity is None:
        quantity = available_quantity(variant)
    return StockStatus.for_quantity(quantity, low_stock_threshold=threshold)


def resolve_offer(product: Product | None, variant: Variant | None = None, *,
                  variants: list[Variant] | None = None) -> Offer:
    """The offer for a block: the chosen variant, else the cheapest variant that is in stock.

    A chosen variant of another product (refused when a block is saved, but older data may hold one)
    is not offered: the card shows ``product``, so it sells one of ``product``'s variants, never another
    product's SKU under this product's name.

    ``variants`` is the product's variants when the caller holds them already (a page's catalog
    snapshot), so no queryset is cloned per block."""
    sold_out = StockStatus(StockLevel.OUT_OF_STOCK, 0)
    if product is None:
        return Offer(None, None, None, None, None, sold_out, UnavailableReason.DELETED)
    if variant is not None and variant.product_id == product.pk:
        variants = [variant]
    elif variants is None:
        variants = list(product.variants.all())
    if not variants:
        return Offer(product, None, None, None, None, sold_out, UnavailableReason.NO_VARIANTS)
    quantities = [(available_quantity(v), v) for v in variants]  # each variant's stock read once
    in_stock = [pair for pair in quantities if pair[0] > 0]
    quantity, chosen = min(in_stock or quantities, key=_cheapest_first)
    stock = variant_stock_status(chosen, quantity=quantity)
    if product.status != ProductStatus.ACTIVE:
        reason = UnavailableReason.ARCHIVED
    elif stock.level == StockLevel.OUT_OF_STOCK:
        reason = UnavailableReason.SOLD_OUT
    else:
        reason = None
    return Offer(product, chosen, chosen.price, chosen.compare_at_price, chosen.currency, stock, reason)


def _cheapest_first(pair: tuple[int, Variant]) -> tuple:
    variant = pair[1]
    return variant.price, variant.sort_order or 0, variant.pk


def offers_for_skus(skus: list[str]) -> dict[str, Offer]:
    """Live offers for many SKUs in one query; unknown SKUs come back as deleted (unavailable)."""
    variants = with_availability(Variant.objects.select_related("product")).filter(sku__in=skus)
    by_sku = {variant.sku: variant for variant in variants}
    return {
        sku: resolve_offer(by_sku[sku].product, by_sku[sku]) if sku in by_sku else resolve_offer(None)
        for sku in skus
    }
