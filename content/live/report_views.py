"""Session reports in the Wagtail admin: a creator's own sessions, a brand's sessions featuring its products.

Thin views: ``content.live.permissions`` decides who sees what (``report_access``, ``reportable_sessions``),
``content.live.reports.session_report`` computes every figure. Anyone without access gets a 404, so another
creator or brand can't tell a session exists. A brand's report holds its own products' aggregates only.
"""

import csv
import io

from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from content.live.permissions import report_access, reportable_sessions
from content.live.reports import session_report, session_report_rows


def session_reports(request):
    """The sessions whose report the user may open."""
    return TemplateResponse(request, "content/live/reports.html", {"pages": reportable_sessions(request.user)})


def _reported(request, page_id: int):
    """The page and the report ``request.user`` may see of it (``report_access``), or a 404."""
    from content.models import LiveSessionPage

    page = LiveSessionPage.objects.filter(pk=page_id).select_related("live_state").first()
    access = report_access(request.user, page) if page is not None else None
    if access is None:
        raise Http404
    return page, access, session_report(page, brand_ids=access.brand_ids, now=timezone.now())


def session_report_view(request, page_id: int):
    page, access, report = _reported(request, page_id)
    return TemplateResponse(request, "content/live/report.html", {
        "page": page, "session": getattr(page, "live_state", None), "report": report,
        "brand_scoped": access.brand_ids is not None,
    })


def session_report_csv(request, page_id: int):
    """The same report as a CSV download (a brand's copy holds its own products' rows only)."""
    page, _, report = _reported(request, page_id)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([str(cell) for cell in row] for row in session_report_rows(page, report))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="live-session-{page.pk}-report.csv"'
    return response
