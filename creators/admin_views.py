"""Admin views for revenue share: "My earnings" (per page and block) and monthly statements (+ CSV).

A creator sees only their own numbers: any other creator id in the URL is refused (403). Staff
with ``creators.view_ledgerentry`` see everyone's, filtered by ``?creator=<id>``. No view shows a
buyer's email, name, address or order number.
"""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.utils import timezone

from creators.models import CreatorProfile
from creators.services.ledger import creator_balances
from creators.services.reports import earnings_by_page_and_block, parse_period, statement, statement_csv
from shop.validation import row_id

STAFF_PERMISSION = "creators.view_ledgerentry"


class BadRequest(Exception):
    pass


def _refusals(view):
    """Bad input → 400, someone else's numbers → 403 (Wagtail would turn PermissionDenied into a redirect)."""

    def wrapped(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except BadRequest as error:
            return HttpResponseBadRequest(str(error))
        except PermissionDenied:
            return HttpResponseForbidden("You can see only your own earnings.")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def is_revenue_viewer(user) -> bool:
    return user.has_perm(STAFF_PERMISSION) or _own_profile(user) is not None


def _own_profile(user) -> CreatorProfile | None:
    try:
        return user.creator_profile
    except (ObjectDoesNotExist, AttributeError):
        return None


def _visible_creator(request: HttpRequest) -> tuple[CreatorProfile | None, bool]:
    """(the creator whose numbers to show — None means all, whether the viewer is staff)."""
    requested = request.GET.get("creator", "").strip()
    if request.user.has_perm(STAFF_PERMISSION):
        if not requested:
            return None, True
        if row_id(requested) is None:
            raise BadRequest("creator must be a creator id.")
        creator = CreatorProfile.objects.filter(pk=row_id(requested)).first()
        if creator is None:
            raise BadRequest("No such creator.")
        return creator, True
    own = _own_profile(request.user)
    if own is None or (requested and requested != str(own.pk)):
        raise PermissionDenied
    return own, False


def _period(request: HttpRequest):
    value = request.GET.get("period") or timezone.now().strftime("%Y-%m")
    try:
        start, end = parse_period(value)
    except ValueError as error:
        raise BadRequest("period must look like 2026-03.") from error
    return value, start, end


@_refusals
def earnings(request: HttpRequest) -> HttpResponse:
    creator, staff = _visible_creator(request)
    rows = earnings_by_page_and_block(creator.pk if creator else None)
    names = dict(CreatorProfile.objects.filter(pk__in={r.creator_id for r in rows}).values_list("pk", "display_name"))
    for row in rows:
        row.creator_name = names.get(row.creator_id, "")
    return render(request, "creators/admin/earnings.html", {
        "page_title": "My earnings" if not staff else "Creator earnings",
        "header_icon": "doc-full", "rows": rows, "creator": creator, "staff": staff,
        "balances": creator_balances(creator.pk) if creator else {},
        "creators": CreatorProfile.objects.order_by("display_name") if staff else [],
    })


def _statement(request: HttpRequest):
    creator, staff = _visible_creator(request)
    if creator is None:
        raise BadRequest("Choose a creator (?creator=<id>).")
    period, start, end = _period(request)
    return creator, staff, period, statement(creator.pk, start=start, end=end)


@_refusals
def statement_view(request: HttpRequest) -> HttpResponse:
    creator, staff, period, result = _statement(request)
    return render(request, "creators/admin/statement.html", {
        "page_title": f"Statement {period}", "header_icon": "doc-full", "creator": creator, "staff": staff,
        "period": period, "statement": result,
    })


@_refusals
def statement_csv_view(request: HttpRequest) -> HttpResponse:
    creator, _staff, period, result = _statement(request)
    response = HttpResponse(statement_csv(result), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{creator.handle}-{period}.csv"'
    return response
