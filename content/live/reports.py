"""A live session's report: one function, computed from the order lines and their attribution.

``session_report`` reads ``creators.reports.facts.order_line_facts`` (the rows every report counts:
paid orders, the attribution decided at placement, units, GMV, settled refunds) and keeps the lines
of the session: attributed to its page (its buy links) or sold at one of its flash deals' prices.
Nothing is counted as it happens, so nothing can drift: a refund settling later shows at once.

Money is never added across currencies: every figure holds its orders and units (an order is in one
currency, so these add up) and one ``MoneyFigures`` per currency sold in. The totals, each pinned
product's row and each flash deal's row use the same definitions (``creators.reports.figures``).
``brand_ids`` limits every figure to those brands' products (a brand sees its own products only; pins
and deals of other brands' products are left out). Viewers (peak concurrent, unique) come from
``content.live.viewers``; conversion is orders per unique viewer (``figures.conversion_rate``).
Clicks on the session page's links come from the brand report's one rule (``build_report`` over the
page: rolled-up days, then raw clicks, so purged days keep their counts), scoped to ``brand_ids`` the
same way (a brand counts its products' clicks and the page's own).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from content.live.models import LiveFlashDeal, LivePin, LiveSession
from content.live.viewers import ViewerFigures, viewer_figures
from creators.reports.facts import order_line_facts
from creators.reports.queries import ReportFilters, build_report, today_utc
from creators.reports.figures import conversion_rate, net_gmv, order_figures
from creators.spreadsheets import spreadsheet_cell
from shop.money import quantize

_EPOCH = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)


@dataclass(frozen=True)
class MoneyFigures:
    currency: str
    gmv: Decimal
    refunds: Decimal

    @property
    def net_gmv(self) -> Decimal:
        return net_gmv(self.gmv, self.refunds)


@dataclass(frozen=True)
class SalesFigures:
    orders: int
    units: int
    money: tuple[MoneyFigures, ...] = ()  # one per currency, by currency code; never summed together

    def in_currency(self, currency: str) -> MoneyFigures:
        return next((money for money in self.money if money.currency == currency),
                    MoneyFigures(currency, Decimal("0.00"), Decimal("0.00")))


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
    currency: str
    unit_cap: int
    figures: SalesFigures

    @property
    def sell_through(self) -> Decimal:
        """Units sold of the cap, in percent with two places."""
        return (Decimal(self.figures.units) * 100 / self.unit_cap).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class SessionReport:
    totals: SalesFigures
    viewers: ViewerFigures
    pins: int
    pinned_products: list[PinnedProductRow]
    flash_deals: list[FlashDealRow]
    clicks: int | None = None  # None: not counted (the console leaves them out)

    @property
    def conversion(self) -> Decimal | None:
        """Orders per unique viewer, in percent (None before anyone watched). Buy links shared after the
        show bring orders from people who never watched, so it can pass 100."""
        return conversion_rate(self.totals.orders, self.viewers.unique)


_NO_SALES = SalesFigures(orders=0, units=0)


def _grouped(lines, column: str | None) -> dict:
    """Figures per value of ``column`` (None: one group, key None), money per currency: one query."""
    columns = [column] if column else []
    rows = (lines.values(*columns, "currency").annotate(**order_figures())
            .values(*columns, "currency", "orders", "units", "gmv", "refunds").order_by(*columns, "currency"))
    by_key = defaultdict(list)
    for row in rows:
        by_key[row[column] if column else None].append(row)
    return {key: SalesFigures(
        orders=sum(row["orders"] for row in group), units=sum(row["units"] for row in group),
        money=tuple(MoneyFigures(row["currency"], quantize(row["gmv"]), quantize(row["refunds"])) for row in group),
    ) for key, group in by_key.items()}


def session_viewers(page, *, now: datetime) -> ViewerFigures:
    """Stored at the end (``end_session``); while live, read from the heartbeats; before the start, none."""
    session = LiveSession.objects.filter(page_id=page.pk).only("started_at", "peak_viewers", "unique_viewers").first()
    if session is None or session.started_at is None:
        return ViewerFigures(peak=0, unique=0)
    if session.peak_viewers is not None:
        return ViewerFigures(peak=session.peak_viewers, unique=session.unique_viewers or 0)
    return viewer_figures(page.pk, since=session.started_at, until=now)


def session_clicks(page, *, brand_ids: frozenset[int] | None = None) -> int:
    """Clicks on the session page's links on every day so far (the brand report's figure for the page)."""
    report = build_report(ReportFilters(start=_EPOCH.date(), end=today_utc(), page_id=page.pk, brand_ids=brand_ids))
    return sum(row.clicks for row in report.totals)


def session_report(page, *, brand_ids: frozenset[int] | None = None, now: datetime | None = None,
                   count_clicks: bool = True) -> SessionReport:
    """The session's viewers, clicks, orders, units, GMV and refunds: in total, per pinned product and per
    flash deal. ``count_clicks=False`` leaves clicks out (the console refreshes often and shows none)."""
    now = now or timezone.now()
    lines = order_line_facts(_EPOCH, now + timedelta(days=1)).filter(
        Q(attributed_page_id=page.pk) | Q(promotion__live_flash_deal__session__page_id=page.pk))
    pins = LivePin.objects.filter(session__page_id=page.pk).select_related("product")
    deals = LiveFlashDeal.objects.filter(session__page_id=page.pk).select_related("promotion__variant__product")
    if brand_ids is not None:
        lines = lines.filter(brand_id__in=sorted(brand_ids))
        pins = pins.filter(product__brand_id__in=sorted(brand_ids))
        deals = deals.filter(promotion__variant__product__brand_id__in=sorted(brand_ids))
    by_product = _grouped(lines, "product_id")
    by_promotion = _grouped(lines.filter(promotion__isnull=False), "promotion_id")
    pins = list(pins)
    pinned = {}
    for pin in pins:
        pinned.setdefault(pin.product_id, [pin.product, 0])[1] += 1
    return SessionReport(
        totals=_grouped(lines, None).get(None, _NO_SALES),
        viewers=session_viewers(page, now=now), pins=len(pins),
        pinned_products=[PinnedProductRow(product_id=product.pk, title=product.title, pins=count,
                                          figures=by_product.get(product.pk, _NO_SALES))
                         for product, count in pinned.values()],
        flash_deals=[FlashDealRow(promotion_id=deal.promotion_id, sku=deal.promotion.variant.sku,
                                  price=deal.promotion.price, currency=deal.promotion.currency,
                                  unit_cap=deal.promotion.unit_cap,
                                  figures=by_promotion.get(deal.promotion_id, _NO_SALES))
                     for deal in deals],
        clicks=session_clicks(page, brand_ids=brand_ids) if count_clicks else None,
    )


# --- The report as a spreadsheet (``content.live.report_views.session_report_csv``) ----------------------------
# Exactly the figures the report page shows, one row per item and currency: the session, each pinned product,
# each flash deal. Orders and units hold for the item (an order is in one currency) and are written on its first
# row only, so a spreadsheet's column sum never counts them twice. Aggregates only: no buyer is named. Text
# cells go through ``creators.spreadsheets.spreadsheet_cell`` (a product titled "=HYPERLINK(…)" stays text).

CSV_COLUMNS = ["Row", "Item id", "Name", "Currency", "Peak viewers", "Unique viewers", "Clicks", "Pins", "Orders",
               "Units", "GMV", "Refunds", "Net GMV", "Conversion (%)", "Deal price", "Unit cap", "Sell-through (%)"]
_CSV_KEYS = ["row", "id", "name", "currency", "peak", "unique", "clicks", "pins", "orders", "units", "gmv", "refunds",
             "net_gmv", "conversion", "price", "unit_cap", "sell_through"]


def _money_rows(row: str, item_id: int, name: str, figures: SalesFigures, **first_only) -> list[dict]:
    """The item's rows: one per currency sold in (one with no currency before any sale)."""
    rows = []
    for index, amounts in enumerate(figures.money or (None,)):
        cells = {"row": row, "id": item_id, "name": name}
        if index == 0:
            cells |= {"orders": figures.orders, "units": figures.units} | first_only
        if amounts is not None:
            cells |= {"currency": amounts.currency, "gmv": amounts.gmv, "refunds": amounts.refunds,
                      "net_gmv": amounts.net_gmv}
        rows.append(cells)
    return rows


def _csv_cell(value):
    return "" if value is None else spreadsheet_cell(value)


def session_report_rows(page, report: SessionReport) -> list[list]:
    """The report's CSV table: the header, then the session's, each pinned product's and each deal's rows."""
    rows = _money_rows("Session", page.pk, page.title, report.totals, peak=report.viewers.peak,
                       unique=report.viewers.unique, clicks=report.clicks, pins=report.pins,
                       conversion=report.conversion)
    for pinned in report.pinned_products:
        rows += _money_rows("Pinned product", pinned.product_id, pinned.title, pinned.figures, pins=pinned.pins)
    for deal in report.flash_deals:
        rows += _money_rows("Flash deal", deal.promotion_id, deal.sku, deal.figures, price=deal.price,
                            unit_cap=deal.unit_cap, sell_through=deal.sell_through)
    return [CSV_COLUMNS, *([_csv_cell(row.get(key)) for key in _CSV_KEYS] for row in rows)]
