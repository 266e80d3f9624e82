"""kolshop's commerce API: one django-ninja API under /api/v1/, one OpenAPI document.

Each domain adds its router here; errors always come back as {"code", "message", "field"}.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from settings.api_docs import document_operations
from shop.api_edge import domain_error_headers, domain_error_status, field_from_location
from shop.errors import DomainError

class CommerceAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """ninja's document plus each operation's description and error codes (settings/api_docs.py)."""
        return document_operations(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


api = CommerceAPI(
    title="kolshop commerce API",
    version="1",
    description=(
        "Live prices, stock, carts and checkout for kolshop front ends.\n\n"
        "Paths are listed without a trailing slash (the one convention); the API answers each path "
        "with or without its trailing slash (`POST /api/v1/carts/` is `POST /api/v1/carts`). Request bodies are JSON "
        "(`Content-Type: application/json`; anything else is a 415). Every error, including unknown paths "
        "(404), wrong methods (405) and oversized bodies (413), is JSON: "
        '`{"code", "message", "field"}`.'
    ),
    urls_namespace="commerce-api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


# Services raise domain errors (shop/errors.py); shop.api_edge maps each kind to its one HTTP status.
@api.exception_handler(DomainError)
def domain_error_response(request, error: DomainError):
    response = api.create_response(request, error.as_body(), status=domain_error_status(error))
    for header, value in domain_error_headers(error).items():
        response[header] = value
    return response


@api.exception_handler(ValidationError)
def handle_validation_error(request, error: ValidationError):
    first = error.errors[0] if error.errors else {}
    body = {
        "code": "invalid",
        "message": first.get("msg", "Invalid input."),
        "field": field_from_location(list(first.get("loc", []))),
        "errors": [
            {"field": field_from_location(list(item.get("loc", []))), "message": item.get("msg", "")}
            for item in error.errors
        ],
    }
    return api.create_response(request, body, status=400)


@api.exception_handler(Http404)
def handle_not_found(request, error):
    return api.create_response(request, {"code": "not_found", "message": "Not found.", "field": None}, status=404)


@api.exception_handler(AuthenticationError)
def handle_authentication_error(request, error):
    body = {"code": "not_authenticated", "message": "Authentication required.", "field": None}
    return api.create_response(request, body, status=401)


@api.exception_handler(RequestDataTooBig)
def handle_request_too_big(request, error):
    body = {"code": "too_large", "message": "The request body is too large.", "field": None}
    return api.create_response(request, body, status=413)


@api.exception_handler(HttpError)
def handle_http_error(request, error: HttpError):
    body = {"code": "http_error", "message": str(error), "field": None}
    return api.create_response(request, body, status=error.status_code)


# Routers: each domain registers its endpoints below (keep the list sorted by prefix).
from shop.api import carts_router, orders_router  # noqa: E402

api.add_router("/carts", carts_router)
api.add_router("/orders", orders_router)

from shop.api.groupbuy import router as groupbuy_router  # noqa: E402

api.add_router("/group-buys", groupbuy_router)

from media.api import router as media_router  # noqa: E402

api.add_router("/media", media_router)

from content.api.offers import router as offers_router  # noqa: E402

api.add_router("/offers", offers_router)

from readers.api import router as account_router  # noqa: E402

api.add_router("/account", account_router)
from privacy.api import router as privacy_router  # noqa: E402

api.add_router("/privacy", privacy_router)

from creators.reports.api import router as events_router  # noqa: E402

api.add_router("/events", events_router)
from creators.reports.supply_api import router as supply_reports_router  # noqa: E402

api.add_router("/supply", supply_reports_router)
from content.live.report_api import router as live_reports_router  # noqa: E402

api.add_router("/live-reports", live_reports_router)
