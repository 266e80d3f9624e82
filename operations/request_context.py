"""A request id on every log line of a request, taken from the proxy's ``X-Request-ID`` when it looks
like one (so one id follows a request through the load balancer and the app), made here otherwise,
and sent back in the response.

An id made here is 16 random bytes as 32 lowercase hex characters (as ``uuid4().hex`` was): unguessable, since a
client may send the id another's request would get, and telling nothing of a worker's request count.
"""

import re
import secrets

import structlog

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_REQUEST_ID_META_KEY = "HTTP_X_REQUEST_ID"  # REQUEST_ID_HEADER as WSGI and Django's ASGI handler name it in META


def request_id_of(request) -> str:
    # Read from META: ``request.headers`` copies every header of the request into a new dict first.
    offered = request.META.get(_REQUEST_ID_META_KEY, "")
    return offered if _ACCEPTABLE.match(offered) else secrets.token_hex(16)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request.request_id)
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.clear_contextvars()
        response[REQUEST_ID_HEADER] = request.request_id
        return response
