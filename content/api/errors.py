"""The content API's errors use the commerce API's shape: {"code", "message", "field"}.

Its views raise domain errors (``shop.errors``); ``PagesViewSet.handle_exception`` answers them with
the status ``shop.api_edge.domain_error_status`` gives, like the commerce API.
"""

import re

from django.http import JsonResponse

from shop.errors import InvalidInput


class ContentApiError(InvalidInput):
    """A query parameter of the content API is wrong (``field`` names it)."""


_UNKNOWN_PARAMETERS = re.compile(r"not an operation or a recognised field: (?P<names>.+)$")
_UNKNOWN_FIELDS = re.compile(r"^unknown fields: ")


def field_of_wagtail_message(message: str, query_parameters) -> str | None:
    """Wagtail's BadRequestError carries only a message; recover the offending parameter from it."""
    unknown = _UNKNOWN_PARAMETERS.search(message)
    if unknown:
        return unknown.group("names").split(",")[0].strip()
    if _UNKNOWN_FIELDS.match(message) or message.startswith("fields error"):
        return "fields"
    for name in sorted(query_parameters, key=len, reverse=True):
        if message.startswith(name) or f"'{name}'" in message:
            return name
    for name in ("order", "search", "limit", "offset", "type", "locale", "site"):
        if name in message and name in query_parameters:
            return name
    return None


def json_not_found(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse({"code": "not_found", "message": "Not found.", "field": None}, status=404)
