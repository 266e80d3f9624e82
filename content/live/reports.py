"""A live session's sales report: one function, computed from the order lines and their attribution.

``session_report`` reads ``creators.reports.facts.order_line_facts`` (the rows every report counts:
paid orders, the attribution decided at placement, units, GMV, settled refunds) and keeps the lines
of the session: attributed to its page (its buy links) or sold at one of its flash deals' prices.
Nothing is counted as it happens, so nothing can drift: a refund settling later shows at once.

The totals, each pinned product's row and each flash deal's row use the same definitions
(``creators.reports.figures``). ``brand_ids`` limits every figure to those brands' products (a brand
sees its own products only; pins and deals of other brands' products are left out).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

from django.db.models import IntegerField, Q, Value
from django.utils import timezone

from content.live.models import LiveFlashDeal, LivePin
from creators.reports.facts import order_line_facts
from creators.reports.figures import net_gmv, order_figures

_EPOCH = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)


@dataclass(frozen=True)
class SalesFigures:
    orders: int
    units: int
    gmv: Decimal
    refunds: Decimal

    @property
    def net_gmv(self) -> Decimal:
        return net_gmv(self.gmv, self.refunds)


@dataclass(frozen=True)
class PinnedProductRow:
    product_id: int
    title: str
    pins: int
    figures: SalesFigures


@dataclass(frozen=True)
class FlashDealRow:
    promotion_id: int
    sku: str
    price: Decimal
    unit_cap: int
    figures: SalesFigures

    @property
    def sell_through(self) -> Decimal:
        """Units sold of the cap, in percent with two places."""
        return (Decimal(self.figures.units) * 100 / self.unit_cap).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class SessionReport:
    totals: SalesFigures
    pins: int
    pinned_products: list[PinnedProductRow]
    flash_deals: list[FlashDealRow]


def _figures(row: dict | None) -> SalesFigures:
    row = row or {}
    return SalesFigures(orders=row.get("orders", 0), units=row.get("units", 0), gmv=row.get("gmv", Decimal("0.00")),
                        refunds=row.get("refunds", Decimal("0.00")))


def _grouped(lines, column: str) -> dict[int, SalesFigures]:
    rows = lines.values(column).annotate(**order_figures()).values(column, "orders", "units", "gmv", "refunds")
    return {row[column]: _figures(row) for row in rows}


def session_report(page, *, brand_ids: frozenset[int] | None = None, now: datetime | None = None) -> SessionReport:
    """The session's orders, units, GMV and refunds: in total, per pinned product and per flash deal."""
    now = now or timezone.now()
    lines = order_line_facts(_EPOCH, now + timedelta(days=1)).filter(
        Q(attributed_page_id=page.pk) | Q(promotion__live_flash_deal__session__page_id=page.pk))
    pins = LivePin.objects.filter(session__page_id=page.pk).select_related("product")
    deals = LiveFlashDeal.objects.filter(session__page_id=page.pk).select_related("promotion__variant__product")
    if brand_ids is not None:
        lines = lines.filter(brand_id__in=sorted(brand_ids))
        pins = pins.filter(product__brand_id__in=sorted(brand_ids))
        deals = deals.filter(promotion__variant__product__brand_id__in=sorted(brand_ids))
    # One group for the whole session (``aggregate`` would clash with the facts' own column names).
    totals = _grouped(lines.annotate(session=Value(page.pk, output_field=IntegerField())), "session").get(page.pk, _figures(None))
    by_product = _grouped(lines, "product_id")
    by_promotion = _grouped(lines.filter(promotion__isnull=False), "promotion_id")
    pins = list(pins)
    pinned = {}
    for pin in pins:
        pinned.setdefault(pin.product_id, [pin.product, 0])[1] += 1
    return SessionReport(
        totals=totals, pins=len(pins),
        pinned_products=[PinnedProductRow(product_id=product.pk, title=product.title, pins=count,
                                          figures=by_product.get(product.pk, _figures(None)))
                         for product, count in pinned.values()],
        flash_deals=[FlashDealRow(promotion_id=deal.promotion_id, sku=deal.promotion.variant.sku,
                                  price=deal.promotion.price, unit_cap=deal.promotion.unit_cap,
                                  figures=by_promotion.get(deal.promotion_id, _figures(None)))
                     for deal in deals],
    )
