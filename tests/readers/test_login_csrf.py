"""Signing in through the reader API needs the CSRF token too (login CSRF): a page elsewhere cannot ask a
sign-in for someone, nor sign a visitor's browser in as another reader with a code or link it knows."""

import pytest
from django.core import mail
from django.test import Client

from readers.models import SignInToken
from tests.readers.helpers import csrf_headers, mailed_sign_in

pytestmark = pytest.mark.django_db

SIGN_IN = "/api/v1/account/sign-in"


@pytest.fixture
def browser():
    """A browser whose requests are CSRF-checked as in production."""
    return Client(enforce_csrf_checks=True)


def _post(client, path, payload, **headers):
    return client.post(path, payload, content_type="application/json", headers=headers)


def test_asking_a_sign_in_without_the_token_is_a_403_json_and_mails_nothing(browser):
    refused = _post(browser, SIGN_IN, {"email": "ada@example.com"})

    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/json; charset=utf-8"
    assert refused.json() == {
        "code": "csrf_failed", "field": None,
        "message": "Send the CSRF token (GET /api/v1/account/csrf) as the X-CSRFToken header."}
    assert (len(mail.outbox), SignInToken.objects.count()) == (0, 0)


def test_a_code_or_link_without_the_token_is_refused_and_not_spent(browser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        asked = _post(browser, SIGN_IN, {"email": "ada@example.com"}, **csrf_headers(browser))
    token, code = mailed_sign_in("ada@example.com")

    by_code = _post(browser, f"{SIGN_IN}/code", {"email": "ada@example.com", "code": code})
    by_link = _post(browser, f"{SIGN_IN}/link", {"token": token})
    wrong_token = _post(browser, f"{SIGN_IN}/code", {"email": "ada@example.com", "code": code},
                        HTTP_X_CSRFTOKEN="x" * 32)

    assert asked.status_code == 202
    assert [r.status_code for r in (by_code, by_link, wrong_token)] == [403, 403, 403]
    assert {r.json()["code"] for r in (by_code, by_link, wrong_token)} == {"csrf_failed"}
    assert SignInToken.objects.get().used_at is None
    assert browser.get("/api/v1/account").status_code == 401
    signed_in = _post(browser, f"{SIGN_IN}/code", {"email": "ada@example.com", "code": code}, **csrf_headers(browser))
    assert (signed_in.status_code, signed_in.json()["email"]) == (200, "ada@example.com")


def test_signing_in_replaces_the_token_so_one_known_before_is_worthless(browser, django_capture_on_commit_callbacks):
    before = csrf_headers(browser)
    with django_capture_on_commit_callbacks(execute=True):
        _post(browser, SIGN_IN, {"email": "ada@example.com"}, **before)
    _, code = mailed_sign_in("ada@example.com")
    signed_in = _post(browser, f"{SIGN_IN}/code", {"email": "ada@example.com", "code": code}, **before)

    stale = browser.post("/api/v1/account/sign-out-everywhere", content_type="application/json", headers=before)
    fresh = browser.post("/api/v1/account/sign-out-everywhere", content_type="application/json",
                         headers=csrf_headers(browser))

    assert signed_in.status_code == 200
    assert (stale.status_code, stale.json()["code"]) == (403, "csrf_failed")
    assert fresh.status_code == 204


def test_bad_input_with_the_token_is_still_a_400_json(browser):
    bad = _post(browser, SIGN_IN, {"email": "not an address"}, **csrf_headers(browser))

    assert bad.status_code == 400
    assert (bad.json()["code"], bad.json()["field"]) == ("invalid_email", "email")
