"""Distribution reports for signed-in creators and brand users (session auth): GET /api/v1/supply/...

The figures and who may see them come from ``creators.reports.supply_figures``; a brand sees totals
per storefront only, never an order or a buyer."""

from dataclasses import fields

from ninja import Router, Schema
from ninja.security import django_auth
from pydantic import create_model

from creators.reports.supply_figures import ListingFigures, StorefrontSales, listing_figures_for, storefront_sales_for

router = Router(tags=["supply reports"], auth=django_auth)


def _out_schema(figures: type, name: str) -> type[Schema]:
    """The API's schema of a report row: the figures dataclass's own fields and types, so the API serves exactly
    the figures ``supply_figures`` defines (a figure added there is not dropped here)."""
    return create_model(name, __base__=Schema, **{field.name: (field.type, ...) for field in fields(figures)})


ListingFiguresOut = _out_schema(ListingFigures, "ListingFiguresOut")
StorefrontSalesOut = _out_schema(StorefrontSales, "StorefrontSalesOut")


@router.get("/listing-figures", response=list[ListingFiguresOut], summary="My storefront listings' figures")
def listing_figures(request):
    return listing_figures_for(request.user)


@router.get("/storefront-sales", response=list[StorefrontSalesOut], summary="My supply's sales per storefront")
def storefront_sales(request):
    return storefront_sales_for(request.user)
