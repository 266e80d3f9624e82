"""Public views: ``/r/<code>/`` counts a click and redirects."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.views.decorators.http import require_safe

from creators.models import LinkKind
from creators.never_cache import never_cache
from creators.services.click_buffer import never_counted
from creators.services.link_routes import (
    LinkRoute,
    cached_link_route,
    leads_somewhere,
    link_route_if_cached,
    route_destination,
)
from creators.services.links import click_limit_counted_later, count_followed_click
from shop.rate_limits import count_request
from shop.attribution import SHARE_TOKEN_PARAMETER, remember_referral
from shop.services.buy_links import Visitor

_CODE = re.compile(r"^[A-Za-z0-9_-]{4,32}$")  # TrackedLink.code's format (its check constraint)


@never_cache
@require_safe
def follow_link(request: HttpRequest, code: str) -> HttpResponseRedirect:
    """Count the click and redirect; bots and clients over the click limit are redirected uncounted.

    The link's route comes from the cache and, with Redis, the click goes to this process's click
    buffer, which counts it (and the client's click limit) in Redis a few milliseconds later: a follow
    usually makes no round trip at all (``link_routes``, ``click_buffer``)."""
    route = cached_link_route(code) if _CODE.match(code) else None
    if route is None:
        raise Http404("No such link.")
    return _follow(request, route)


class NotDecidedHere(Exception):
    """``follow_cached_link`` leaves this follow to ``follow_link`` (through Django's whole stack)."""


@never_cache
def follow_cached_link(request: HttpRequest, code: str) -> HttpResponseRedirect:
    """``/r/``'s fast path (``creators.fast_follow``, in front of Django in ``settings.asgi``): the same
    answer as ``follow_link`` when it needs no database read, else ``NotDecidedHere`` before anything is
    counted: a code not cached here or in the shared cache, an unknown or blocked (inactive) link, one
    leading nowhere, or no click buffer (clicks and the click limit counted in the request)."""
    if not (_CODE.match(code) and click_limit_counted_later()):
        raise NotDecidedHere(code)
    known, route = link_route_if_cached(code)
    if not known or route is None or not leads_somewhere(route):
        raise NotDecidedHere(code)
    return _follow(request, route)


# The fast path and Django's handler build their requests from the same ASGI scope. A follow the fast path
# counted and then could not answer (something raised after the count) goes to Django, which answers it
# with the click already counted instead of counting it again (and using the client's click limit again).
FOLLOW_COUNTED_KEY = "kolshop.follow_counted_click"


def _count_follow(request: HttpRequest, route: LinkRoute) -> int | None:
    """The follow's click (None: a bot or over the client's limit), counted once per request, however many
    handlers (the fast path, then Django) see it."""
    scope = getattr(request, "scope", None)  # ASGI requests only
    if scope is not None and FOLLOW_COUNTED_KEY in scope:
        return scope[FOLLOW_COUNTED_KEY]
    limited = not click_limit_counted_later() and count_request(request, scope="click") is not None
    visitor = None if limited else Visitor.of(request)
    click_id = None if visitor is None else count_followed_click(
        route, ip=visitor.ip, user_agent=visitor.user_agent, referrer=visitor.referrer,
    )
    if scope is not None:
        scope[FOLLOW_COUNTED_KEY] = click_id
    return click_id


def _follow(request: HttpRequest, route: LinkRoute) -> HttpResponseRedirect:
    click_id = _count_follow(request, route)
    destination = route_destination(route, click_id=click_id)
    if destination is None:
        raise Http404("This link leads nowhere any more.")
    response = HttpResponseRedirect(destination)
    response["Referrer-Policy"] = "no-referrer"
    if click_id is not None and route.kind == LinkKind.READER_SHARE:
        token = remember_referral(request, response, click_id=click_id,
                                  keeps=lambda current: not never_counted(current))  # a friend may buy days later
        if token and _on_another_site(request, destination):
            response["Location"] = _with_share_token(destination, token)
    return response


def _on_another_site(request: HttpRequest, destination: str) -> bool:
    """A front end on another host never sends our SameSite cookie back with its API calls."""
    host = urlsplit(destination).netloc
    return bool(host) and host != request.get_host()


def _with_share_token(destination: str, token: str) -> str:
    """The destination with ``?share=<token>``: the front end passes it to checkout or a team join as
    ``share_token`` (``shop.attribution.referral_click_id``)."""
    parts = urlsplit(destination)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), (SHARE_TOKEN_PARAMETER, token)])
    return urlunsplit(parts._replace(query=query))
