"""The Content-Security-Policy header is built by django-csp once per kind of response (admin or not) and
reused while nothing varies it: every response carries exactly the header django-csp itself builds for it,
a nonce or a view decorator's policy still gets its own, and a settings change is seen at once."""

import pytest
from csp.constants import NONCE
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from settings import csp as site_csp

HEADER = "Content-Security-Policy"


def plain_response(request):
    return HttpResponse("ok")


def answered(path: str, view=plain_response, *, status: int = 200) -> tuple[HttpResponse, object]:
    """(the memoizing middleware's response, its request) for a GET of ``path``."""
    middleware = site_csp.ContentSecurityPolicyMiddleware(view)
    request = RequestFactory().get(path)
    response = middleware(request)
    return response, request


def built_by_django_csp(path: str, view=plain_response) -> HttpResponse:
    """django-csp's own answer (its process_response, with our get_policy_parts), built afresh."""
    middleware = site_csp.ContentSecurityPolicyMiddleware(view)
    request = RequestFactory().get(path)
    middleware.process_request(request)
    return CSPMiddleware.process_response(middleware, request, view(request))


@pytest.fixture(autouse=True)
def nothing_built_yet():
    site_csp._built.clear()
    yield
    site_csp._built.clear()


def test_every_response_carries_the_header_django_csp_builds_for_its_kind(settings):
    settings.KOLSHOP_PAYMENT_GATEWAY = "dummy"

    answers = [answered(path)[0][HEADER] for path in ("/r/mug/", "/r/other/", "/admin/", "/cart/", "/admin/pages/")]

    assert answers == [built_by_django_csp(path)[HEADER]
                       for path in ("/r/mug/", "/r/other/", "/admin/", "/cart/", "/admin/pages/")]
    assert answers[0] == answers[1] == answers[3] != answers[2] == answers[4]
    assert "'unsafe-inline'" in answers[2].split("script-src")[1].split(";")[0]
    assert sorted(site_csp._built) == [False, True]


def test_a_settings_change_is_seen_by_the_next_response(settings):
    settings.KOLSHOP_PAYMENT_GATEWAY = "dummy"
    before = answered("/cart/")[0][HEADER]

    settings.KOLSHOP_PAYMENT_GATEWAY = "stripe"
    after = answered("/cart/")[0][HEADER]

    assert "https://js.stripe.com" not in before
    assert after == built_by_django_csp("/cart/")[HEADER]
    assert "script-src 'self' https://js.stripe.com" in after


def test_a_nonce_used_by_the_view_is_in_its_own_header_every_time(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
                                                      "script-src": ["'self'", NONCE]}}

    def with_nonce(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    answered("/cart/")  # the nonce-less header is built and kept
    first, first_request = answered("/cart/", with_nonce)
    second, second_request = answered("/cart/", with_nonce)

    assert f"'nonce-{first_request._csp_nonce}'" in first[HEADER]
    assert f"'nonce-{second_request._csp_nonce}'" in second[HEADER]
    assert first_request._csp_nonce != second_request._csp_nonce
    assert "nonce-" not in answered("/cart/")[0][HEADER]


def test_a_views_own_policy_or_exemption_is_kept():
    updated = csp_update({"img-src": "https://images.example"})(plain_response)
    exempt = csp_exempt()(plain_response)

    answered("/cart/")
    with_update = answered("/cart/", updated)[0]
    without = answered("/cart/", exempt)[0]
    plain = answered("/cart/")[0]

    assert with_update[HEADER] == built_by_django_csp("/cart/", updated)[HEADER]
    assert "https://images.example" in with_update[HEADER]
    assert HEADER not in without
    assert "https://images.example" not in plain[HEADER]


def test_asking_for_a_nonce_after_the_header_is_written_is_an_error_as_in_django_csp():
    answered("/cart/")
    _response, request = answered("/cart/")

    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
