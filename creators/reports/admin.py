"""Admin wiring for the brand report (imported by creators/wagtail_hooks.py)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from creators.reports.page_views import record_page_view
from creators.reports.views import brand_performance_view, can_view_brand_reports
from shop.rate_limits import count_request
from shop.services.client_identity import client_ip


class BrandReportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_brand_reports(request.user)


@hooks.register("register_admin_urls")
def register_brand_report_urls():
    return [path("reports/brand-performance/", brand_performance_view, name="kolshop_brand_performance")]


@hooks.register("register_reports_menu_item")
def register_brand_report_menu_item():
    return BrandReportMenuItem("Brand performance", reverse("kolshop_brand_performance"), icon_name="doc-full", order=10)


@hooks.register("before_serve_page")
def count_reader_page_view(page, request, serve_args, serve_kwargs):
    """The reference reader site counts a view for every creator page it serves (not previews), within
    the same per-client limit as the events API (over it, the page is served and not counted)."""
    creator_id = getattr(page, "creator_id", None)
    if creator_id is None or getattr(request, "is_preview", False) or request.method != "GET":
        return None
    if count_request(request, scope="page_view") is not None:
        return None
    record_page_view(
        page_id=page.pk, creator_id=creator_id, ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return None
