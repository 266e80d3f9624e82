"""The live console in the Wagtail admin: the session's creator (or anyone who may edit its page) drives it.

Views only parse the form and call ``content.live.services``; domain errors become admin messages.
Every view asks ``content.live.permissions``: owners (the page's edit permission) may do everything,
a producer they named may run the show (``PRODUCER_ACTIONS``; anything else is a 403), and anyone
else gets a 404, so another creator can't tell a session exists.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from content.live import producers, report_views, services
from content.live.models import LiveFlashDeal, LiveStatus
from content.live.permissions import may_act, may_manage_producers, may_see_money, session_access
from content.live.reports import session_report
from content.live.viewers import viewer_count
from shop.errors import DomainError, InvalidInput
from shop.models import Variant


def _session_page(request, page_id: int):
    """The session's page and the user's standing on it; 404 for anyone who may not run it."""
    from content.models import LiveSessionPage

    page = LiveSessionPage.objects.filter(pk=page_id).first()
    access = session_access(request.user, page) if page is not None else None
    if access is None or not access.runs:
        raise Http404
    return page, access


def _refused() -> HttpResponseForbidden:
    """A 403 answered here, not raised: Wagtail's admin turns a raised ``PermissionDenied`` into a redirect
    to the dashboard, and a refused action must say it was refused."""
    return HttpResponseForbidden("You may not do this in this live session.", content_type="text/plain")


def session_sales(page) -> dict:
    """The console's figures, from the session's report (``content.live.reports.session_report``)."""
    report = session_report(page, count_clicks=False)
    return {"orders": report.totals.orders, "units": report.totals.units,
            "revenue": [(money.currency, money.net_gmv) for money in report.totals.money],
            "pins": report.pins, "peak_viewers": report.viewers.peak, "unique_viewers": report.viewers.unique,
            "conversion": report.conversion,
            "deals": [{"sku": row.sku, "sold": row.figures.units, "cap": row.unit_cap} for row in report.flash_deals]}


def console(request, page_id: int):
    page, access = _session_page(request, page_id)
    session = services.session_of(page)
    return TemplateResponse(request, "content/live/console.html", {
        "page": page, "session": session, "line_up": services.line_up(page),
        "open_pin": session.pins.filter(unpinned_at__isnull=True).select_related("product").first(),
        "deals": LiveFlashDeal.objects.filter(session=session).select_related("promotion__variant"),
        "chapters": session.chapters.select_related("product"), "viewers": viewer_count(page.pk),
        "sales": session_sales(page), "statuses": LiveStatus, "now": timezone.now(),
        "may_see_money": may_see_money(access), "may_edit_chapters": may_act(access, "chapter"),
        "producers": session.producers.select_related("user") if may_manage_producers(access) else None,
        "variants": Variant.objects.filter(product__in=services.line_up(page)).select_related("product"),
    })


def _number(request, name: str, *, cast=int):
    try:
        return cast(request.POST.get(name, ""))
    except (ValueError, TypeError, InvalidOperation) as error:
        raise InvalidInput(f"Enter a number for {name}.", field=name) from error


def _flash_deal(request) -> services.FlashDealRequest:
    return services.FlashDealRequest(
        variant_id=_number(request, "variant"), price=_number(request, "price", cast=Decimal),
        unit_cap=_number(request, "unit_cap"), per_buyer_limit=_number(request, "per_buyer_limit"),
        duration=timedelta(seconds=_number(request, "duration_seconds")),
        countdown=timedelta(seconds=_number(request, "countdown_seconds") if request.POST.get("countdown_seconds") else 0),
    )


def _chapter(request, page):
    return services.edit_chapter(
        page, chapter_id=_number(request, "chapter"), title=request.POST.get("title", ""),
        start_seconds=_number(request, "start_seconds"), end_seconds=_number(request, "end_seconds"))


ACTIONS = {
    "start": lambda request, page: services.start_session(page),
    "end": lambda request, page: services.end_session(page),
    "cancel": lambda request, page: services.cancel_session(page),
    "replay-ready": lambda request, page: services.mark_replay_ready(page),
    "pin": lambda request, page: services.pin_product(
        page, product_id=_number(request, "product"),
        variant_id=_number(request, "variant") if request.POST.get("variant") else None),
    "unpin": lambda request, page: services.unpin_product(page),
    "flash-deal": lambda request, page: services.start_flash_deal(page, deal=_flash_deal(request)),
    "end-deal": lambda request, page: services.end_flash_deal(page, promotion_id=_number(request, "deal")),
    "chapter": _chapter,
}


@require_POST
def act(request, page_id: int, action: str):
    page, access = _session_page(request, page_id)
    if action not in ACTIONS:
        raise Http404
    if not may_act(access, action):
        return _refused()
    try:
        ACTIONS[action](request, page)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("live_console", args=[page.pk]))


@require_POST
def add_producer(request, page_id: int):
    page, access = _session_page(request, page_id)
    if not may_manage_producers(access):
        return _refused()
    try:
        producer = producers.find_producer(request.POST.get("producer", ""))
        producers.assign_producer(page, user=producer, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("live_console", args=[page.pk]))


@require_POST
def remove_producer(request, page_id: int):
    page, access = _session_page(request, page_id)
    if not may_manage_producers(access):
        return _refused()
    try:
        producers.remove_producer(page, user_id=_number(request, "user"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("live_console", args=[page.pk]))


def produced_sessions(request):
    """The sessions the user was named producer of (owners reach theirs from the page's header)."""
    from content.models import LiveSessionPage

    pages = LiveSessionPage.objects.filter(live_state__producers__user_id=request.user.pk).order_by("-starts_at")
    return TemplateResponse(request, "content/live/produced_sessions.html", {"pages": pages})


def console_urls() -> list:
    return [
        path("live/", produced_sessions, name="live_produced_sessions"),
        path("live/reports/", report_views.session_reports, name="live_session_reports"),
        path("live/<int:page_id>/report/", report_views.session_report_view, name="live_session_report"),
        path("live/<int:page_id>/report/csv/", report_views.session_report_csv, name="live_session_report_csv"),
        path("live/<int:page_id>/producers/add/", add_producer, name="live_console_add_producer"),
        path("live/<int:page_id>/producers/remove/", remove_producer, name="live_console_remove_producer"),
        path("live/<int:page_id>/", console, name="live_console"),
        path("live/<int:page_id>/<slug:action>/", act, name="live_console_action"),
    ]
