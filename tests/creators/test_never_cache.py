"""``creators.never_cache``: the follow's no-cache headers are exactly Django's, computed without patching."""

import time

import pytest
from django.http import HttpResponse, HttpResponseRedirect
from django.test import RequestFactory
from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date

from creators.never_cache import add_follow_never_cache_headers, never_cache


def _headers(response) -> list[tuple[str, str]]:
    return list(response.items())


def test_a_redirect_gets_the_headers_djangos_never_cache_gives_in_the_same_order():
    ours, djangos = HttpResponseRedirect("/buy/HP-1/"), HttpResponseRedirect("/buy/HP-1/")

    add_follow_never_cache_headers(ours)
    add_never_cache_headers(djangos)

    assert _headers(ours) == _headers(djangos)
    assert ours["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.parametrize(("name", "value"), [("Cache-Control", "public, max-age=60"),
                                             ("Expires", "Thu, 01 Jan 2026 00:00:00 GMT")])
def test_a_response_with_caching_headers_is_merged_as_django_merges_them(name, value):
    ours, djangos = HttpResponse(b"x"), HttpResponse(b"x")
    ours[name] = djangos[name] = value

    add_follow_never_cache_headers(ours)
    add_never_cache_headers(djangos)

    assert _headers(ours) == _headers(djangos)


def test_expires_is_now_each_second(monkeypatch):
    clock = [1_800_000_000.2]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    first = HttpResponseRedirect("/a/")
    add_follow_never_cache_headers(first)
    clock[0] += 1.5
    later = HttpResponseRedirect("/a/")
    add_follow_never_cache_headers(later)

    assert (first["Expires"], later["Expires"]) == (http_date(1_800_000_000), http_date(1_800_000_001))


def test_the_decorator_wraps_a_views_answer():
    @never_cache
    def view(request, code):
        return HttpResponseRedirect(f"/to/{code}/")

    response = view(RequestFactory().get("/r/x/"), code="abcd")

    assert response["Location"] == "/to/abcd/"
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert response["Expires"] == http_date(int(time.time())) or response["Expires"] == http_date(time.time())
