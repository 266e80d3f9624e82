"""Every report figure, defined once (README, "Report figures", says the same in words).

The brand report (live and rolled up, screen and exports), the rollup and "My earnings" all count
with these functions; nothing else spells out which orders count or how a rate is computed.

- An order counts once it is paid (or fulfilled, partially or fully refunded after payment);
  pending, cancelled and replaced (restarted checkout) orders never count.
- Orders are distinct orders at the grouping level, ``COUNT(DISTINCT order_id)`` over order lines:
  an order with two products of a brand is one order for its creator, page, day and the total,
  and one order in each product's row.
- Units, GMV, refunds and commission are sums over the counted order lines; they all belong to
  the day the order was paid (refunds and commission reversals settling later change that day).
"""

from dataclasses import dataclass
from datetime import date, datetime, timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from shop.models import PAID_ORDER_STATUSES

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_MONEY = DecimalField(max_digits=14, decimal_places=2)


def counted_orders(prefix: str = "") -> Q:
    """The orders a report counts: paid, whatever followed. ``prefix`` reaches the order, e.g. ``order__``."""
    return Q(**{f"{prefix}status__in": sorted(PAID_ORDER_STATUSES), f"{prefix}paid_at__isnull": False})


def report_day(timestamp: str) -> TruncDate:
    """The UTC day a fact belongs to (for sales: the day the order was paid)."""
    return TruncDate(timestamp, tzinfo=dt_timezone.utc)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(dt_timezone.utc).date()


def distinct_orders(order: str = "order_id") -> Count:
    """Orders: each order once per row, however many of its lines the row holds."""
    return Count(order, distinct=True)


def order_figures(*, order: str = "order_id", units: str = "units", gmv: str = "gmv", refunds: str = "refunds",
                  commission: str = "commission") -> dict:
    """SQL aggregates over order-line rows: distinct orders, summed units and money."""
    return {
        "orders": distinct_orders(order),
        "units": Coalesce(Sum(units), Value(0)),
        "gmv": Coalesce(Sum(gmv), Value(ZERO), output_field=_MONEY),
        "refunds": Coalesce(Sum(refunds), Value(ZERO), output_field=_MONEY),
        "commission": Coalesce(Sum(commission), Value(ZERO), output_field=_MONEY),
    }


def net_gmv(gmv: Decimal, refunds: Decimal) -> Decimal:
    """What the orders brought in after settled refunds (lines only; shipping is not GMV)."""
    return gmv - refunds


def conversion_rate(orders: int, clicks: int) -> Decimal | None:
    """Orders per click of the same row, in percent with two places; None without clicks.

    Every attributed order has the click that led to it, so this is never above 100 %.
    """
    if not clicks:
        return None
    return (Decimal(orders) * 100 / clicks).quantize(CENT, rounding=ROUND_HALF_UP)


def earnings_per_click(commission: Decimal, clicks: int) -> Decimal | None:
    """Commission per click of the same row (EPC); None without clicks."""
    if not clicks:
        return None
    return (commission / clicks).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Scope:
    """What a report looks at: a range of UTC days and optional brand, creator, page and product."""

    start: date
    end: date
    brand_ids: frozenset[int] | None = None  # None: every brand (staff)
    creator_id: int | None = None
    page_id: int | None = None
    product_id: int | None = None


def scope_values(scope: Scope | None, *, days: bool = True) -> dict[str, Any]:
    """A report's scope as a compiled query's values (plain dates, a sorted list of brand ids or None, ids or None);
    ``days=False`` when the source is limited by timestamp instead. ``None``: no filter (every value None)."""
    scope = scope or Scope(start=None, end=None)
    values = {"brand_ids": None if scope.brand_ids is None else sorted(scope.brand_ids),
              "creator_id": scope.creator_id, "page_id": scope.page_id, "product_id": scope.product_id}
    return {"start": scope.start, "end": scope.end, **values} if days else values


def scope_of(*, start: date | None = None, end: date | None = None, brand_ids: list[int] | None,
             creator_id: int | None, page_id: int | None, product_id: int | None) -> Scope:
    """The scope ``scope_values`` made those values of: what a compiled query's builder filters with (``scope_q``).
    Every filter is a required keyword, so a builder is given (and uses) each; the days only when it has them."""
    return Scope(start=start, end=end, brand_ids=None if brand_ids is None else frozenset(brand_ids),
                 creator_id=creator_id, page_id=page_id, product_id=product_id)


BrandFilter = str | Callable[[frozenset[int]], Q]


def scope_q(scope: Scope, *, day: str | None = "day", brand: BrandFilter = "brand_id", creator: str = "creator_id",
            page: str = "page_id", product: str | None = "product_id") -> Q:
    """The report's filters as one SQL condition, for any fact source (name its columns).

    ``day=None`` when the source is already limited to the range by timestamp; ``product=None``
    when the source has no product (page views), so a product filter leaves none of it.
    """
    condition = Q()
    if day is not None:
        condition &= Q(**{f"{day}__gte": scope.start, f"{day}__lte": scope.end})
    if scope.brand_ids is not None:
        condition &= brand(scope.brand_ids) if callable(brand) else Q(**{f"{brand}__in": sorted(scope.brand_ids)})
    for value, column in ((scope.creator_id, creator), (scope.page_id, page), (scope.product_id, product)):
        if value is not None:
            condition &= Q(**{column: value}) if column else Q(pk__in=[])
    return condition
