"""Collect raw facts for a time range into per-day, per-dimension figures.

The rollup stores exactly what this returns for past days; reports call it live for days the
rollup has not reached yet (today). One function, so rolled-up and live figures can't disagree.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from wagtail.models import Page, ReferenceIndex

from creators.models import Click, EntryKind, LedgerEntry, OrderLineAttribution, PageView
from shop.models import AddToCartEvent, OrderLine, Product, RefundLine, RefundStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class FactKey:
    day: date
    brand_id: int | None
    creator_id: int | None
    page_id: int | None
    block_id: str
    product_id: int | None
    currency: str


@dataclass
class Figures:
    views: int = 0
    clicks: int = 0
    add_to_carts: int = 0
    units: int = 0
    gmv: Decimal = ZERO
    refunds: Decimal = ZERO
    commission: Decimal = ZERO
    order_ids: set = field(default_factory=set)

    @property
    def orders(self) -> int:
        return len(self.order_ids)


@dataclass(frozen=True)
class LineDimensions:
    brand_id: int | None
    product_id: int | None
    creator_id: int | None
    page_id: int | None
    block_id: str
    currency: str
    order_id: int


def page_brand_ids(page_ids: set[int]) -> dict[int, set[int]]:
    """The brands each page features, from Wagtail's reference index (page → product snippets)."""
    if not page_ids:
        return {}
    references = ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Page),
        to_content_type=ContentType.objects.get_for_model(Product),
        object_id__in=[str(page_id) for page_id in page_ids],
    ).values_list("object_id", "to_object_id")
    product_ids_by_page: dict[int, set[int]] = defaultdict(set)
    for page_id, product_id in references:
        product_ids_by_page[int(page_id)].add(int(product_id))
    all_products = {pid for pids in product_ids_by_page.values() for pid in pids}
    brand_of = dict(Product.objects.filter(pk__in=all_products).values_list("pk", "brand_id"))
    return {
        page_id: {brand_of[pid] for pid in pids if pid in brand_of} for page_id, pids in product_ids_by_page.items()
    }


def line_dimensions(line_ids: set[int]) -> dict[int, LineDimensions]:
    """Brand, product and the attribution decided at placement for each order line.

    Only the decision (``OrderLineAttribution``) counts: the line's own ids are the raw buy-link
    token, which a creator voucher or the window may have overruled. Undecided lines are unattributed.
    """
    if not line_ids:
        return {}
    undecided = {"creator_id": None, "page_id": None, "block_id": ""}
    decided = {
        row["order_line_id"]: row
        for row in OrderLineAttribution.objects.filter(order_line_id__in=line_ids).values(
            "order_line_id", "creator_id", "page_id", "block_id"
        )
    }
    dimensions = {}
    for line in OrderLine.objects.filter(pk__in=line_ids).values(
        "pk", "order_id", "brand_id", "variant__product_id", "currency"
    ):
        attribution = decided.get(line["pk"], undecided)
        dimensions[line["pk"]] = LineDimensions(
            brand_id=line["brand_id"],
            product_id=line["variant__product_id"],
            creator_id=attribution["creator_id"],
            page_id=attribution["page_id"] if attribution["creator_id"] else None,
            block_id=(attribution["block_id"] or "") if attribution["creator_id"] else "",
            currency=line["currency"],
            order_id=line["order_id"],
        )
    return dimensions


def collect_facts(start: datetime, end: datetime) -> dict[FactKey, Figures]:
    """Every fact with a timestamp in [start, end), keyed by day and dimension."""
    default_currency = settings.KOLSHOP_DEFAULT_CURRENCY
    figures: dict[FactKey, Figures] = defaultdict(Figures)

    views = list(
        PageView.objects.filter(viewed_at__gte=start, viewed_at__lt=end)
        .annotate(day=TruncDate("viewed_at"))
        .values("day", "page_id", "creator_id")
        .annotate(count=Count("pk"))
    )
    clicks = list(
        Click.objects.filter(clicked_at__gte=start, clicked_at__lt=end)
        .annotate(day=TruncDate("clicked_at"))
        .values("day", "creator_id", "page_id", "block_id", "product_id")
        .annotate(count=Count("pk"))
    )
    brands_of_page = page_brand_ids(
        {row["page_id"] for row in views} | {row["page_id"] for row in clicks if row["page_id"] and not row["product_id"]}
    )
    product_brand = dict(
        Product.objects.filter(pk__in={row["product_id"] for row in clicks if row["product_id"]}).values_list("pk", "brand_id")
    )
    for row in views:
        for brand_id in brands_of_page.get(row["page_id"], ()):
            key = FactKey(row["day"], brand_id, row["creator_id"], row["page_id"], "", None, default_currency)
            figures[key].views += row["count"]
    for row in clicks:
        if row["product_id"]:
            brand_ids = {product_brand.get(row["product_id"])}
        else:
            brand_ids = brands_of_page.get(row["page_id"]) or {None}
        for brand_id in brand_ids:
            key = FactKey(row["day"], brand_id, row["creator_id"], row["page_id"], row["block_id"] or "",
                          row["product_id"], default_currency)
            figures[key].clicks += row["count"]

    for row in (
        AddToCartEvent.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at"))
        .values("day", "creator_id", "page_id", "block_id", "product_id", "brand_id", "currency")
        .annotate(count=Count("pk"))
    ):
        attributed = row["creator_id"] is not None
        key = FactKey(row["day"], row["brand_id"], row["creator_id"], row["page_id"] if attributed else None,
                      (row["block_id"] or "") if attributed else "", row["product_id"], row["currency"])
        figures[key].add_to_carts += row["count"]

    sold = list(
        OrderLine.objects.filter(order__paid_at__gte=start, order__paid_at__lt=end)
        .annotate(day=TruncDate("order__paid_at"))
        .values("pk", "day", "quantity", "line_total")
    )
    refunded = list(
        RefundLine.objects.filter(
            refund__status=RefundStatus.SUCCEEDED, refund__created_at__gte=start, refund__created_at__lt=end
        )
        .annotate(day=TruncDate("refund__created_at"))
        .values("order_line_id", "day")
        .annotate(amount=Sum("amount"))
    )
    earned = list(
        LedgerEntry.objects.filter(
            kind__in=[EntryKind.ACCRUAL, EntryKind.REVERSAL], effective_at__gte=start, effective_at__lt=end
        )
        .annotate(day=TruncDate("effective_at"))
        .values("order_line_id", "day")
        .annotate(amount=Sum("amount"))
    )
    lines = line_dimensions({row["pk"] for row in sold} | {row["order_line_id"] for row in refunded + earned})

    def line_key(day: date, line: LineDimensions) -> FactKey:
        return FactKey(day, line.brand_id, line.creator_id, line.page_id, line.block_id, line.product_id, line.currency)

    for row in sold:
        line = lines[row["pk"]]
        bucket = figures[line_key(row["day"], line)]
        bucket.units += row["quantity"]
        bucket.gmv += row["line_total"]
        bucket.order_ids.add(line.order_id)
    for row in refunded:
        figures[line_key(row["day"], lines[row["order_line_id"]])].refunds += row["amount"]
    for row in earned:
        figures[line_key(row["day"], lines[row["order_line_id"]])].commission += row["amount"]
    return dict(figures)
