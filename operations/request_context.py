"""A request id on every log line of a request, taken from the proxy's ``X-Request-ID`` when it looks
like one (so one id follows a request through the load balancer and the app), made here otherwise,
and sent back in the response.

An id made here is 32 lowercase hex characters, as ``uuid4().hex`` was: 16 random ones drawn when the process starts
(again in a forked child), then this process's count of ids made: two processes (or one restarted) share a prefix with
a chance of 2⁻⁶⁴ only, and one process never repeats an id; no 16 random bytes read from the kernel per request.
"""

import itertools
import os
import re
import secrets

import structlog

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_REQUEST_ID_META_KEY = "HTTP_X_REQUEST_ID"  # REQUEST_ID_HEADER as WSGI and Django's ASGI handler name it in META


def _start_ids() -> None:
    global _prefix, _made
    _prefix, _made = secrets.token_hex(8), itertools.count()


_start_ids()
os.register_at_fork(after_in_child=_start_ids)  # a forked worker (gunicorn's) draws a prefix of its own


def new_request_id() -> str:
    return f"{_prefix}{next(_made):016x}"  # next() on a count is one atomic step under the GIL: unique across threads


def request_id_of(request) -> str:
    # Read from META: ``request.headers`` copies every header of the request into a new dict first.
    offered = request.META.get(_REQUEST_ID_META_KEY, "")
    return offered if _ACCEPTABLE.match(offered) else new_request_id()


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
