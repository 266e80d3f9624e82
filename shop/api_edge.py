"""The HTTP edge of the APIs: whatever reaches /api/ gets JSON back, never Django's HTML pages.

* ``HostileInputMiddleware`` refuses control characters in any URL path or query value (PostgreSQL
  cannot store NUL; no URL of ours contains one), refuses non-JSON bodies on the commerce API (415)
  and rewrites any HTML error under /api/ (Django's 404, ninja's 405, a 413 or a 500 page) into
  ``{"code", "message", "field"}``.
* ``domain_error_status`` is the one mapping from a domain error's kind (``shop/errors.py``) to its
  HTTP status; the commerce API (``settings/api.py``), the content API and every other JSON view answer
  a ``DomainError`` with it and ``domain_error_headers`` (``Retry-After`` for ``RateLimited``).
* ``commerce_api_fallback`` answers every /api/v1/ path no endpoint matched: the same path with
  or without its trailing slash reaches its endpoint; anything else is a JSON 404.
* ``is_anonymous_commerce_api`` names the commerce API's routers no one signs in to (carts, orders,
  group buys, offers): ``HostileInputMiddleware`` marks their requests (``request.skips_site_middleware``)
  and ``shop.site_middleware``'s session, authentication and message middleware pass them straight
  through (they never read the session, the user or messages); every other request goes through all of it.
"""

import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from shop.errors import DomainError, RateLimited
from shop.validation import CONTROL_CHARACTERS_MESSAGE, has_control_characters

API_PREFIX = "/api/"
COMMERCE_API_PREFIX = "/api/v1/"
# The commerce API's OpenAPI document, named in 404 messages.
COMMERCE_API_SCHEMA = "/api/v1/openapi.json"
# The commerce API's routers with no authentication on any operation (a test checks each one): a cart is
# found by its token, an order by its number and X-Order-Secret, a team by its share code, offers are public.
ANONYMOUS_COMMERCE_ROUTERS = ("carts", "orders", "group-buys", "offers")
_ANONYMOUS_COMMERCE_PATH = re.compile(
    rf"{re.escape(COMMERCE_API_PREFIX)}(?:{'|'.join(map(re.escape, ANONYMOUS_COMMERCE_ROUTERS))})(?:/|$)")


def is_anonymous_commerce_api(path_info: str) -> bool:
    """Whether this path is on one of the anonymous commerce routers: no session, user or message is read
    there, so ``shop.site_middleware`` passes it through (the one place deciding it)."""
    return _ANONYMOUS_COMMERCE_PATH.match(path_info) is not None


# Codes for error responses an API view did not shape itself (Django's and ninja's own pages).
_STATUS_CODES = {
    400: ("bad_request", "The request is malformed."),
    401: ("not_authenticated", "Authentication required."),
    403: ("permission_denied", "You may not do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send request bodies as JSON (Content-Type: application/json)."),
    429: ("rate_limited", "Too many requests."),
}
_SERVER_ERROR = ("server_error", "Something went wrong on our side.")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def error_response(status: int, *, code: str | None = None, message: str | None = None,
                   field: str | None = None) -> JsonResponse:
    default_code, default_message = _STATUS_CODES.get(status, _SERVER_ERROR)
    return JsonResponse({"code": code or default_code, "message": message or default_message, "field": field},
                        status=status)


# The one mapping from a domain error's kind to its HTTP status (shop/errors.py has no HTTP in it).
DOMAIN_ERROR_STATUS = {
    "invalid": 400,
    "not_authenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "payment_failed": 402,
    "rate_limited": 429,
    "unavailable": 502,
    "not_configured": 503,
}


def domain_error_status(error: DomainError) -> int:
    """The HTTP status of a domain error. A kind with no status is a programming error, not a 400."""
    return DOMAIN_ERROR_STATUS[error.kind]


def domain_error_headers(error: DomainError) -> dict[str, str]:
    """Headers a client needs to act on the error: when to retry a rate-limited call."""
    return {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else {}


def field_from_location(location: list) -> str | None:
    """ninja/pydantic report where an error is as ('body', 'payload', 'quantity'); keep the field path."""
    parts = [str(part) for part in location if part not in ("body", "query", "path", "payload", "form")]
    return ".".join(parts) or None


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _refused_query_parameter(request: HttpRequest) -> str | None:
    if not request.META.get("QUERY_STRING"):  # nothing to parse: most API calls (request.GET would build a QueryDict)
        return None
    for name, values in request.GET.lists():
        if has_control_characters(name) or any("\x00" in value for value in values):
            return name
    return None


class HostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path.startswith(API_PREFIX)
        refused = self._refuse(request, is_api=is_api)
        if refused is not None:
            return refused
        request.skips_site_middleware = is_api and is_anonymous_commerce_api(request.path_info)
        response = self.get_response(request)
        return self._as_json(response) if is_api else response

    def _refuse(self, request: HttpRequest, *, is_api: bool) -> HttpResponse | None:
        field = None
        if has_control_characters(request.path):
            field = "path"
        else:
            field = _refused_query_parameter(request)
        if field is not None:
            if is_api:
                return error_response(400, code="invalid", message=CONTROL_CHARACTERS_MESSAGE, field=field)
            return HttpResponse(CONTROL_CHARACTERS_MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        if (is_api and request.path.startswith(COMMERCE_API_PREFIX) and request.method in _BODY_METHODS
                and int(request.META.get("CONTENT_LENGTH") or 0) > 0
                and not _is_json(request.META.get("CONTENT_TYPE", ""))):
            return error_response(415)
        return None

    @staticmethod
    def _as_json(response: HttpResponse) -> HttpResponse:
        if response.status_code < 400 or _is_json(response.get("Content-Type", "")):
            return response
        replacement = error_response(response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if header in response:
                replacement[header] = response[header]
        return replacement


def _other_spelling(path: str) -> str:
    return path[:-1] if path.endswith("/") else f"{path}/"


@csrf_exempt
def commerce_api_fallback(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """The commerce API accepts each path with or without its trailing slash; the rest is a JSON 404.

    Answering instead of redirecting keeps POST bodies (Django's APPEND_SLASH cannot redirect a POST).
    """
    try:
        match = resolve(_other_spelling(request.path_info))
    except Resolver404:
        match = None
    if match is not None and match.func is not commerce_api_fallback:
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
    return error_response(404, message=f"No such endpoint; the API's paths are listed in {COMMERCE_API_SCHEMA}.")
