"""Distribution report figures: per listing for its creator, per creator storefront for a brand.

Each figure is defined once here. Sold units are those of paid orders (paid, fulfilled, partially
refunded) net of refunded units; sales, margin and wholesale are the order lines' snapshots net of what
refunds and lost disputes took back of each part, read from the shop's split rows (``SupplyLineSplit``,
the figures the brands' payables and the creator ledger use), so a report's figure is exactly the sum of
its lines' figures (no re-rounding of summed totals). Sell-through is
units sold ÷ (units sold + units on hand now), the share of the available supply the listing sold.
Brands see aggregates only: no order, buyer or line.

Who sees which figures is decided once, by ``listing_figures_for`` and ``storefront_sales_for`` (the
admin pages and the API call them): a creator their own listings, a brand user their own brands'
sales, staff every brand's; anyone else is refused.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum

from creators.models import CreatorProfile
from creators.services.listings import creator_of
from shop.errors import PermissionDenied
from shop.models import PAID_ORDER_STATUSES, OrderLine, OrderStatus, Stock, StorefrontListing, SupplyLineSplit
from shop.money import quantize
from shop.services.brand_access import brand_ids_for_user

_SOLD_STATUSES = [status for status in PAID_ORDER_STATUSES if status != OrderStatus.REFUNDED]


@dataclass(frozen=True)
class ListingFigures:
    listing_id: int
    sku: str
    product_title: str
    status: str
    currency: str
    units: int
    margin: Decimal
    sell_through: Decimal | None


@dataclass(frozen=True)
class StorefrontSales:
    creator_id: int
    storefront: str
    currency: str
    units: int
    sales: Decimal
    wholesale: Decimal
    brand_discount: Decimal  # what the brand's own vouchers gave off these lines (already out of its wholesale)


ZERO = Decimal("0.00")


def _sold_lines() -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(listing__isnull=False, order__status__in=_SOLD_STATUSES).order_by()


def _taken_back(lines: QuerySet[OrderLine], *group: str) -> dict[tuple, dict[str, Decimal]]:
    """{group values: {amount, wholesale, margin}} taken back from ``lines`` by refunds and lost disputes, summed
    from the split rows (one query)."""
    rows = (SupplyLineSplit.objects.filter(order_line__in=lines.values("pk")).order_by()
            .values(*(f"order_line__{field}" for field in group))
            .annotate(amount=Sum("amount"), wholesale=Sum("wholesale_part"), margin=Sum("margin_part")))
    return {tuple(row[f"order_line__{field}"] for field in group): row for row in rows}


def listing_figures(creator_id: int) -> list[ListingFigures]:
    """Margin, units and sell-through per listing of one creator (four queries)."""
    listings = list(StorefrontListing.objects.filter(creator_id=creator_id).select_related("offer__variant__product")
                    .order_by("pk"))
    units, margin = defaultdict(int), defaultdict(lambda: ZERO)
    lines = _sold_lines().filter(listing__creator_id=creator_id)
    for listing_id, quantity, refunded_quantity, line_margin in lines.values_list(
            "listing_id", "quantity", "refunded_quantity", "creator_margin"):
        units[listing_id] += quantity - refunded_quantity
        margin[listing_id] += line_margin
    for (listing_id,), taken in _taken_back(lines, "listing_id").items():
        margin[listing_id] -= taken["margin"]
    on_hand = dict(Stock.objects.filter(variant_id__in=[listing.offer.variant_id for listing in listings])
                   .values_list("variant_id", "on_hand"))
    figures = []
    for listing in listings:
        sold, stock = units[listing.pk], on_hand.get(listing.offer.variant_id, 0)
        through = quantize(Decimal(sold) / (sold + stock)) if sold + stock else None
        figures.append(ListingFigures(listing_id=listing.pk, sku=listing.offer.variant.sku,
                                      product_title=listing.offer.variant.product.title, status=listing.status,
                                      currency=listing.offer.currency, units=sold, margin=margin[listing.pk],
                                      sell_through=through))
    return figures


def brand_storefront_sales(brand_ids: set[int] | None) -> list[StorefrontSales]:
    """A brand's supply sold per creator storefront and currency: units, buyer sales and wholesale, net of what
    refunds and lost disputes took back (three queries); ``None``: every brand's (staff). ``brand_discount``: what
    the brand's own vouchers gave off its lines at sale (borne by the brand: its wholesale is already net of it)."""
    lines = _sold_lines() if brand_ids is None else _sold_lines().filter(brand_id__in=brand_ids)
    rows = (lines.values("listing__creator_id", "currency")
            .annotate(units=Sum(F("quantity") - F("refunded_quantity")), sales=Sum("line_total"),
                      wholesale=Sum("wholesale_amount"),
                      brand_discount=Sum("discount_amount", filter=Q(order__voucher__brand_id=F("brand_id")),
                                         default=ZERO))
            .order_by("listing__creator_id", "currency"))
    taken = _taken_back(lines, "listing__creator_id", "currency")
    nothing = {"amount": ZERO, "wholesale": ZERO}
    names = dict(CreatorProfile.objects.filter(pk__in=[row["listing__creator_id"] for row in rows])
                 .values_list("pk", "display_name"))
    return [
        StorefrontSales(creator_id=row["listing__creator_id"], storefront=names.get(row["listing__creator_id"], ""),
                        currency=row["currency"], units=row["units"],
                        sales=quantize(row["sales"] - taken.get(key, nothing)["amount"]),
                        wholesale=quantize(row["wholesale"] - taken.get(key, nothing)["wholesale"]),
                        brand_discount=quantize(row["brand_discount"]))
        for row in rows
        for key in [(row["listing__creator_id"], row["currency"])]
    ]


def listing_figures_for(user) -> list[ListingFigures]:
    """The acting creator's own listings' figures; anyone who is not a creator is refused (403)."""
    return listing_figures(creator_of(user).pk)


def storefront_sales_for(user) -> list[StorefrontSales]:
    """A brand user's brands' sales per storefront, staff (superusers) every brand's; others refused (403)."""
    brand_ids = brand_ids_for_user(user)
    if brand_ids is None and not user.is_superuser:
        raise PermissionDenied("Only brand users see their supply's sales.", code="not_a_brand_user")
    return brand_storefront_sales(brand_ids)
