"""Public views: ``/r/<code>/`` counts a click and redirects."""

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from creators.models import TrackedLink
from creators.services.links import link_destination, record_click
from shop.rate_limits import rate_limit
from shop.services.client_identity import client_ip


@never_cache
@require_safe
@rate_limit("click", block=False)
def follow_link(request: HttpRequest, code: str) -> HttpResponseRedirect:
    """Count the click and redirect; bots and clients over the click limit are redirected uncounted."""
    link = TrackedLink.objects.select_related("page").filter(code=code, active=True).first()
    if link is None:
        raise Http404("No such link.")
    click = None if request.limited else record_click(
        link, ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""),
        referrer=request.headers.get("Referer", ""),
    )
    destination = link_destination(link, click)
    if destination is None:
        raise Http404("This link leads nowhere any more.")
    response = HttpResponseRedirect(destination)
    response["Referrer-Policy"] = "no-referrer"
    return response
