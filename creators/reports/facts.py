"""Raw facts for a time range, as the rollup stores them and reports read them live.

Two kinds: events (views, clicks, add-to-carts), which add up across rows, and counted order lines,
which carry their order id so that orders are counted distinct at any grouping. The rollup stores
exactly what these return for past days; reports call them live, within their filters (in SQL),
for days the rollup has not reached yet (today). One source each, so rolled-up and live agree.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import router
from django.db.models import (
    BigIntegerField, Case, CharField, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When,
)
from django.db.models.functions import Cast, Coalesce
from wagtail.models import Page, ReferenceIndex

from creators.models import Click, EntryKind, LedgerEntry, PageView
from creators.reports.figures import ZERO, Scope, counted_orders, report_day, scope_of, scope_q, scope_values
from shop.models import AddToCartEvent, OrderLine, Product, RefundLine, RefundStatus
from shop.services.compiled_queries import ArrayIn, CompiledQuery, orm_reader

_MONEY = DecimalField(max_digits=14, decimal_places=2)


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
class EventCounts:
    views: int = 0
    clicks: int = 0
    add_to_carts: int = 0


def _page_references():
    # Content types by their natural key, joined in SQL: the statement is compiled once per process
    # (``shop.services.compiled_queries``), and a content type's id is the database's, not the code's.
    return ReferenceIndex.objects.filter(
        base_content_type__app_label=Page._meta.app_label, base_content_type__model=Page._meta.model_name,
        to_content_type__app_label=Product._meta.app_label, to_content_type__model=Product._meta.model_name,
    )


def pages_featuring(brand_ids: frozenset[int]) -> QuerySet:
    """Ids (a subquery) of the pages embedding a product of one of ``brand_ids``."""
    products = Product.objects.filter(brand_id__in=brand_ids).annotate(key=Cast("pk", CharField())).values("key")
    return (_page_references().filter(to_object_id__in=products)
            .annotate(page_key=Cast("object_id", BigIntegerField())).values("page_key"))


def events_of_brands(brand_ids: frozenset[int], *, brand: str | None = "brand_id",
                     product: str | None = "product_id") -> Q:
    """The event rows a report over ``brand_ids`` counts, each once (the one rule for event figures).

    A product's events (its clicks, add-to-carts) are its brand's. A page's events (views, clicks on a
    page or a block) are kept once, under no brand (``event_brand``), and count for every brand the page
    features: once per row, however many of those brands a report spans. So a creator's dashboard, a
    staff report or a brand user of two of the page's brands sees a block's 9 clicks as 9, never 9 per
    brand. ``brand=None``: the source has no brand column (raw clicks: the product's brand decides);
    ``product=None``: the source has no product (page views).
    """
    page_events = Q(page_id__in=pages_featuring(brand_ids))
    if product is None:
        return page_events
    if brand is None:
        of_products = Q(**{f"{product}__in": Product.objects.filter(brand_id__in=brand_ids).values("pk")})
    else:
        of_products = Q(**{f"{brand}__in": sorted(brand_ids)}, **{f"{product}__isnull": False})
    return of_products | (Q(**{f"{product}__isnull": True}) & page_events)


def event_brand(product_id: int | None, product_brand: dict[int, int]) -> int | None:
    """The brand an event is stored under: its product's; none for a page's events (see ``events_of_brands``)."""
    return product_brand.get(product_id) if product_id else None


def _views(*, start: datetime, end: datetime, **filters) -> QuerySet:
    if filters["product_id"] is not None:  # page views have no product (``scope_q``'s ``product=None``)
        return PageView.objects.none()
    in_scope = scope_q(scope_of(**filters), day=None, product=None,
                       brand=lambda ids: events_of_brands(ids, product=None))
    return (PageView.objects.filter(in_scope, viewed_at__gte=start, viewed_at__lt=end)
            .annotate(day=report_day("viewed_at"))
            .values("day", "page_id", "creator_id")
            .annotate(count=Count("pk")))


def _clicks(*, start: datetime, end: datetime, **filters) -> QuerySet:
    in_scope = scope_q(scope_of(**filters), day=None, brand=lambda ids: events_of_brands(ids, brand=None))
    return (Click.objects.filter(in_scope, clicked_at__gte=start, clicked_at__lt=end)
            .annotate(day=report_day("clicked_at"))
            .values("day", "creator_id", "page_id", "block_id", "product_id")
            .annotate(count=Count("pk")))


def _add_to_carts(*, start: datetime, end: datetime, **filters) -> QuerySet:
    in_scope = scope_q(scope_of(**filters), day=None)
    return (AddToCartEvent.objects.filter(in_scope, created_at__gte=start, created_at__lt=end)
            .annotate(day=report_day("created_at"))
            .values("day", "creator_id", "page_id", "block_id", "product_id", "brand_id", "currency")
            .annotate(count=Count("pk")))


def _product_brands(*, ids: list[int]) -> QuerySet:
    return Product.objects.filter(ArrayIn(F("pk"), ids)).values_list("pk", "brand_id")


# Built and compiled once per process and shape (``shop.services.compiled_queries``): every report reads them.
_VIEWS, _CLICKS, _ADD_TO_CARTS, _PRODUCT_BRANDS = (
    CompiledQuery(build, read=orm_reader) for build in (_views, _clicks, _add_to_carts, _product_brands))


def event_facts(start: datetime, end: datetime, *, scope: Scope | None = None) -> dict[FactKey, EventCounts]:
    """Views, clicks and add-to-carts with a timestamp in [start, end) (within ``scope``), by day and dimension."""
    default_currency = settings.KOLSHOP_DEFAULT_CURRENCY
    figures: dict[FactKey, EventCounts] = defaultdict(EventCounts)
    values = {"start": start, "end": end, **scope_values(scope, days=False)}  # the timestamps bound the events
    using = router.db_for_read(Click)
    views, clicks = _VIEWS.run(values, using=using), _CLICKS.run(values, using=using)
    product_brand = dict(_PRODUCT_BRANDS.run(
        {"ids": sorted({row["product_id"] for row in clicks if row["product_id"]})}, using=router.db_for_read(Product)))
    for row in views:
        key = FactKey(row["day"], event_brand(None, product_brand), row["creator_id"], row["page_id"], "", None,
                      default_currency)
        figures[key].views += row["count"]
    for row in clicks:
        key = FactKey(row["day"], event_brand(row["product_id"], product_brand), row["creator_id"], row["page_id"],
                      row["block_id"] or "", row["product_id"], default_currency)
        figures[key].clicks += row["count"]
    for row in _ADD_TO_CARTS.run(values, using=using):
        attributed = row["creator_id"] is not None
        key = FactKey(row["day"], row["brand_id"], row["creator_id"], row["page_id"] if attributed else None,
                      (row["block_id"] or "") if attributed else "", row["product_id"], row["currency"])
        figures[key].add_to_carts += row["count"]
    return dict(figures)


# How ``order_line_facts`` rows name the report's dimensions (for ``scope_q`` and grouping).
ORDER_LINE_COLUMNS = {
    "day": "day", "brand": "brand_id", "creator": "attributed_creator_id", "page": "attributed_page_id",
    "block": "attributed_block_id", "product": "product_id", "currency": "currency",
}


# A report grouping's dimensions → the OrderLineFact column that counts its orders by summing (per brand).
ORDER_COUNT_COLUMNS = {
    (): "orders_by_brand", ("day",): "orders_by_brand", ("creator",): "orders_by_creator",
    ("page",): "orders_by_page", ("page", "block"): "orders_by_block", ("product",): "orders_by_product",
}
_ORDER_COUNT_KEYS = {
    "orders_by_brand": ("brand",), "orders_by_creator": ("brand", "creator"), "orders_by_page": ("brand", "page"),
    "orders_by_block": ("brand", "page", "block"), "orders_by_product": ("brand", "product"),
}


def order_count_marks(lines: list[dict]) -> list[dict]:
    """Each order line's ``ORDER_COUNT_COLUMNS`` marks: 1 on the first line (lowest id, ``pk``) of its order
    among the lines sharing the column's dimensions, else 0. All of an order's lines are paid on one day,
    so marks computed per day add up over days to distinct orders (``figures.distinct_orders``)."""
    seen: dict[str, set] = {column: set() for column in _ORDER_COUNT_KEYS}
    marks = []
    for line in sorted(lines, key=lambda line: line["pk"]):
        mark = {}
        for column, names in _ORDER_COUNT_KEYS.items():
            key = (line["order_id"], *(line[ORDER_LINE_COLUMNS[name]] for name in names))
            mark[column] = 0 if key in seen[column] else 1
            seen[column].add(key)
        marks.append(mark)
    return marks


def order_line_facts(start: datetime, end: datetime) -> QuerySet:
    """Counted order lines paid in [start, end), as one SQL query: the paid day, the attribution
    decided at placement (none when none was recorded), units, GMV, settled refunds and
    commission (accruals and reversals).

    The rollup stores exactly these rows in ``OrderLineFact``; reports group them live for the days
    the rollup has not reached. Refunds and commission are the line's whole history, so a refund
    settling later changes the day the order was paid.
    """
    settled_refunds = (
        RefundLine.objects.filter(order_line_id=OuterRef("pk"), refund__status=RefundStatus.SUCCEEDED)
        .order_by().values("order_line_id").annotate(total=Sum("amount")).values("total")
    )
    commission = (
        LedgerEntry.objects.filter(order_line_id=OuterRef("pk"), kind__in=[EntryKind.ACCRUAL, EntryKind.REVERSAL])
        .order_by().values("order_line_id").annotate(total=Sum("amount")).values("total")
    )
    return (
        OrderLine.objects.filter(counted_orders("order__"), order__paid_at__gte=start, order__paid_at__lt=end)
        .annotate(
            day=report_day("order__paid_at"),
            product_id=F("variant__product_id"),
            # Only the decision counts: the line's own ids are the raw buy-link token, which a creator
            # voucher or the window may have overruled. An undecided line is unattributed. One join per line
            # (``OrderLine.attribution``), read only for the columns a query uses (PostgreSQL drops the join
            # when none is: the relation is unique).
            attributed_creator_id=F("attribution__creator_id"),
        )
        .annotate(
            attributed_page_id=Case(
                When(attribution__creator_id__isnull=True, then=Value(None)),
                default=F("attribution__page_id"), output_field=BigIntegerField()),
            attributed_block_id=Case(
                When(attribution__creator_id__isnull=True, then=Value("")),
                default=F("attribution__block_id"), output_field=CharField()),
            units=F("quantity"),
            gmv=F("line_total"),
            refunds=Coalesce(Subquery(settled_refunds), Value(ZERO), output_field=_MONEY),
            commission=Coalesce(Subquery(commission), Value(ZERO), output_field=_MONEY),
        )
        .order_by()
    )
