"""Distribution reports for signed-in creators and brand users (session auth): GET /api/v1/supply/...

The figures and who may see them come from ``creators.reports.supply_figures``; a brand sees totals
per storefront only, never an order or a buyer."""

from decimal import Decimal

from ninja import Router, Schema
from ninja.security import django_auth

from creators.reports.supply_figures import listing_figures_for, storefront_sales_for

router = Router(tags=["supply reports"], auth=django_auth)


class ListingFiguresOut(Schema):
    listing_id: int
    sku: str
    product_title: str
    status: str
    currency: str
    units: int
    margin: Decimal
    sell_through: Decimal | None


class StorefrontSalesOut(Schema):
    creator_id: int
    storefront: str
    currency: str
    units: int
    sales: Decimal
    wholesale: Decimal
    brand_discount: Decimal


@router.get("/listing-figures", response=list[ListingFiguresOut], summary="My storefront listings' figures")
def listing_figures(request):
    return listing_figures_for(request.user)


@router.get("/storefront-sales", response=list[StorefrontSalesOut], summary="My supply's sales per storefront")
def storefront_sales(request):
    return storefront_sales_for(request.user)
