"""Live price and stock for many SKUs at once: GET /api/v1/offers?skus=A,B,C (one query).

Front ends render cached page JSON, then refresh what moves fast (price, stock) through here.
"""

import re

from django.conf import settings
from ninja import Query, Router, Schema

from shop.errors import InvalidInput
from shop.models import StockLevel, Variant
from shop.services.offers import Offer, offers_for_skus
from shop.validation import column_max_length, text

router = Router(tags=["offers"])

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class StockOut(Schema):
    level: str
    quantity: int | None


class OfferOut(Schema):
    sku: str
    product_id: int | None
    variant_id: int | None
    available: bool
    unavailable_reason: str | None
    price: str | None
    compare_at_price: str | None
    currency: str | None
    stock: StockOut


class OffersOut(Schema):
    offers: list[OfferOut]


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None


# The longest list parse_skus could accept: the most SKUs, each as long as the column, and their commas.
SKUS_MAX_LENGTH = settings.KOLSHOP_OFFERS_MAX_SKUS * (column_max_length(Variant, "sku") + 1)


class OffersQuery(Schema):
    skus: text(max_length=SKUS_MAX_LENGTH, description="Comma-separated SKUs.")


def parse_skus(raw: str) -> list[str]:
    """Comma-separated SKUs, de-duplicated in order; a 400 naming ``skus`` when malformed or too many."""
    skus = list(dict.fromkeys(part.strip() for part in raw.split(",")))
    if not raw.strip() or any(not _SKU.match(sku) for sku in skus):
        raise InvalidInput("skus must be a comma-separated list of SKUs.", code="invalid", field="skus")
    limit = settings.KOLSHOP_OFFERS_MAX_SKUS
    if len(skus) > limit:
        raise InvalidInput(f"Ask for at most {limit} SKUs at once.", code="too_many", field="skus")
    return skus


def _money(amount) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def offer_out(sku: str, offer: Offer) -> dict:
    return {
        "sku": sku,
        "product_id": offer.product.pk if offer.product is not None else None,
        "variant_id": offer.variant.pk if offer.variant is not None else None,
        "available": offer.available,
        "unavailable_reason": offer.unavailable_reason,
        "price": _money(offer.price),
        "compare_at_price": _money(offer.compare_at_price),
        "currency": offer.currency,
        "stock": {
            "level": str(offer.stock.level),
            "quantity": offer.stock.quantity if offer.stock.level == StockLevel.LOW_STOCK else None,
        },
    }


@router.get("", response={200: OffersOut, 400: ErrorOut}, summary="Live price and stock for SKUs")
def list_offers(request, query: Query[OffersQuery]):
    skus = parse_skus(query.skus)
    return {"offers": [offer_out(sku, offer) for sku, offer in offers_for_skus(skus).items()]}
