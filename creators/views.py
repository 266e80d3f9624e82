"""Public views: ``/r/<code>/`` counts a click and redirects."""

import re

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from creators.models import LinkKind
from creators.services.link_routes import cached_link_route, route_destination
from creators.services.links import record_click
from shop.attribution import remember_referral
from shop.rate_limits import rate_limit
from shop.services.client_identity import client_ip

_CODE = re.compile(r"^[A-Za-z0-9_-]{4,32}$")  # TrackedLink.code's format (its check constraint)


@never_cache
@require_safe
@rate_limit("click", block=False)
def follow_link(request: HttpRequest, code: str) -> HttpResponseRedirect:
    """Count the click and redirect; bots and clients over the click limit are redirected uncounted.

    The link's route comes from the cache and, with Redis, the click goes to the click queue: a
    follow usually touches no database (``link_routes``, ``click_queue``)."""
    route = cached_link_route(code) if _CODE.match(code) else None
    if route is None:
        raise Http404("No such link.")
    click = None if request.limited else record_click(
        route.as_link(), ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""),
        referrer=request.headers.get("Referer", ""),
    )
    destination = route_destination(route, click_id=click.pk if click else None)
    if destination is None:
        raise Http404("This link leads nowhere any more.")
    response = HttpResponseRedirect(destination)
    response["Referrer-Policy"] = "no-referrer"
    if click is not None and route.kind == LinkKind.READER_SHARE:
        remember_referral(request, response, click_id=click.pk)  # a friend may buy days later
    return response
