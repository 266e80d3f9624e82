"""The request id middleware's log context: each request's log lines carry its own id and nothing bound before it or
by an earlier request in the same thread (a WSGI worker's thread keeps its context between requests)."""

import contextvars
from concurrent.futures import ThreadPoolExecutor

import structlog
from django.http import HttpResponse
from django.test import RequestFactory

from operations.request_context import RequestIdMiddleware


def _middleware(view):
    return RequestIdMiddleware(view)


def test_a_request_sees_only_its_own_request_id_and_leaves_nothing_bound():
    def run():
        structlog.contextvars.bind_contextvars(stale_key="from before the request")
        seen = {}

        def view(request):
            seen.update(structlog.contextvars.get_contextvars())
            structlog.contextvars.bind_contextvars(order_number="K-1")  # bound by the request's own code
            return HttpResponse(b"ok")

        response = _middleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="lb-request-0001"))
        return seen, response, structlog.contextvars.get_contextvars()

    seen, response, after = contextvars.copy_context().run(run)

    assert seen == {"request_id": "lb-request-0001"}
    assert response["X-Request-ID"] == "lb-request-0001"
    assert after == {}


def test_a_second_request_in_the_same_context_does_not_inherit_the_firsts_keys():
    def run():
        seen = []

        def view(request):
            seen.append(structlog.contextvars.get_contextvars())
            structlog.contextvars.bind_contextvars(order_number=f"K-{len(seen)}")
            return HttpResponse(b"ok")

        middleware = _middleware(view)
        middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="lb-request-0001"))
        middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="lb-request-0002"))
        return seen

    assert contextvars.copy_context().run(run) == [{"request_id": "lb-request-0001"}, {"request_id": "lb-request-0002"}]


def test_an_id_made_here_looks_like_a_uuid4_hex_and_none_repeats_across_threads():
    def ids(_):
        middleware = _middleware(lambda request: HttpResponse(b"ok"))
        return [middleware(RequestFactory().get("/"))["X-Request-ID"] for _ in range(500)]

    with ThreadPoolExecutor(4) as pool:
        made = [request_id for batch in pool.map(ids, range(4)) for request_id in batch]

    assert len(set(made)) == len(made) == 2000
    assert all(len(request_id) == 32 and set(request_id) <= set("0123456789abcdef") for request_id in made)



def test_an_id_made_here_cannot_be_guessed_from_the_one_before():
    """A client may send the id another's request will get (``X-Request-ID`` is taken when it looks like one), so
    an id made here follows from nothing a client has seen: no shared prefix, no count."""
    middleware = _middleware(lambda request: HttpResponse(b"ok"))

    first, second = (middleware(RequestFactory().get("/"))["X-Request-ID"] for _ in range(2))

    assert first[:16] != second[:16]
    assert abs(int(second, 16) - int(first, 16)) != 1
