"""Session reports in the Wagtail admin: a creator's own sessions, a brand's sessions featuring its products.

Thin views: ``content.live.permissions`` decides who sees what (``report_access``, ``reportable_sessions``),
``content.live.reports.session_report`` computes every figure. Anyone without access gets a 404, so another
creator or brand can't tell a session exists. A brand's report holds its own products' aggregates only.
"""

from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone

from content.live.permissions import report_access, reportable_sessions
from content.live.reports import session_report


def session_reports(request):
    """The sessions whose report the user may open."""
    return TemplateResponse(request, "content/live/reports.html", {"pages": reportable_sessions(request.user)})


def session_report_view(request, page_id: int):
    from content.models import LiveSessionPage

    page = LiveSessionPage.objects.filter(pk=page_id).select_related("live_state").first()
    access = report_access(request.user, page) if page is not None else None
    if access is None:
        raise Http404
    report = session_report(page, brand_ids=access.brand_ids, now=timezone.now())
    return TemplateResponse(request, "content/live/report.html", {
        "page": page, "session": getattr(page, "live_state", None), "report": report,
        "brand_scoped": access.brand_ids is not None,
    })
