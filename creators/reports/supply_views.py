"""Distribution reports in the admin: "My storefront sales" (a creator's listings) and "Supply sales by
storefront" (a brand's). Each asks ``creators.reports.supply_figures``, which decides who sees what;
a refusal is a plain 403 (Wagtail would turn Django's PermissionDenied into a redirect)."""

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render

from creators.reports.supply_figures import listing_figures_for, storefront_sales_for
from shop.errors import DomainError


def listing_report(request: HttpRequest) -> HttpResponse:
    try:
        figures = listing_figures_for(request.user)
    except DomainError as error:
        return HttpResponseForbidden(error.message)
    return render(request, "creators/reports/listing_figures.html", {"figures": figures})


def storefront_sales_report(request: HttpRequest) -> HttpResponse:
    try:
        rows = storefront_sales_for(request.user)
    except DomainError as error:
        return HttpResponseForbidden(error.message)
    return render(request, "creators/reports/storefront_sales.html", {"rows": rows})
