"""Public views: ``/r/<code>/`` counts a click and redirects."""

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from creators.models import TrackedLink
from creators.services.links import link_destination, record_click


@never_cache
@require_safe
def follow_link(request: HttpRequest, code: str) -> HttpResponseRedirect:
    link = TrackedLink.objects.select_related("page").filter(code=code, active=True).first()
    if link is None:
        raise Http404("No such link.")
    click = record_click(
        link, ip=request.META.get("REMOTE_ADDR", ""), user_agent=request.headers.get("User-Agent", ""),
        referrer=request.headers.get("Referer", ""),
    )
    destination = link_destination(link, click)
    if destination is None:
        raise Http404("This link leads nowhere any more.")
    response = HttpResponseRedirect(destination)
    response["Referrer-Policy"] = "no-referrer"
    return response
