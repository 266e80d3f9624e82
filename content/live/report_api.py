"""A live session's report for signed-in creators and brand users (session auth): GET /api/v1/live-reports/<id>.

The admin page's figures as JSON, from the same two functions: ``content.live.permissions.report_access`` decides
who sees what (owners: the whole session; a brand user: their own products' figures, no buyer) and
``content.live.reports.session_report`` computes every figure. Anyone else gets a 404 ``report_not_found``, so
another creator or brand can't tell a session exists. Money is per currency, never summed across.
"""

from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema
from ninja.security import django_auth

from content.live.permissions import report_access
from content.live.reports import SalesFigures, session_report
from shop.errors import NotFound

router = Router(tags=["live reports"], auth=django_auth)


class MoneyOut(Schema):
    currency: str
    gmv: Decimal
    refunds: Decimal
    net_gmv: Decimal


class SalesOut(Schema):
    orders: int
    units: int
    money: list[MoneyOut]


class PinnedProductOut(Schema):
    product_id: int
    title: str
    pins: int
    sales: SalesOut


class FlashDealOut(Schema):
    promotion_id: int
    sku: str
    price: Decimal
    currency: str
    unit_cap: int
    sell_through: Decimal
    sales: SalesOut


class SessionReportOut(Schema):
    session_id: int
    title: str
    brand_scoped: bool
    peak_viewers: int
    unique_viewers: int
    clicks: int | None
    pins: int
    conversion: Decimal | None
    sales: SalesOut
    pinned_products: list[PinnedProductOut]
    flash_deals: list[FlashDealOut]


def _sales(figures: SalesFigures) -> SalesOut:
    return SalesOut(orders=figures.orders, units=figures.units, money=[
        MoneyOut(currency=money.currency, gmv=money.gmv, refunds=money.refunds, net_gmv=money.net_gmv)
        for money in figures.money])


@router.get("/{page_id}", response=SessionReportOut, summary="A live session's report")
def live_session_report(request, page_id: int):
    from content.models import LiveSessionPage

    page = LiveSessionPage.objects.filter(pk=page_id).first() if 0 < page_id < 2**31 else None
    access = report_access(request.user, page) if page is not None else None
    if access is None:
        raise NotFound("No such live session report.", code="report_not_found", field="page_id")
    report = session_report(page, brand_ids=access.brand_ids, now=timezone.now())
    return SessionReportOut(
        session_id=page.pk, title=page.title, brand_scoped=access.brand_ids is not None,
        peak_viewers=report.viewers.peak, unique_viewers=report.viewers.unique, clicks=report.clicks,
        pins=report.pins, conversion=report.conversion, sales=_sales(report.totals),
        pinned_products=[PinnedProductOut(product_id=row.product_id, title=row.title, pins=row.pins,
                                          sales=_sales(row.figures)) for row in report.pinned_products],
        flash_deals=[FlashDealOut(promotion_id=row.promotion_id, sku=row.sku, price=row.price, currency=row.currency,
                                  unit_cap=row.unit_cap, sell_through=row.sell_through, sales=_sales(row.figures))
                     for row in report.flash_deals],
    )
