"""A signed-in reader's writes, and signing in itself, need the CSRF token (a page elsewhere cannot post with their cookie); a
headless front end gets it from GET /api/v1/account/csrf and sends it as X-CSRFToken."""

import pytest
from django.test import Client

from creators.models import TrackedLink
from privacy.models import DataSubjectRequest
from tests.factories import make_creator, make_guide
from tests.readers.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(ask):
    """A signed-in reader's browser whose requests are CSRF-checked as in production."""
    client = Client(enforce_csrf_checks=True)
    sign_in(client, ask, "ada@example.com")
    return client


def test_a_write_without_the_token_is_refused_and_changes_nothing(browser, site_tree):
    guide = make_guide(make_creator("maya"), title="Desk lamps")

    shared = browser.post("/api/v1/account/shares", {"page_id": guide.pk}, content_type="application/json")
    erased = browser.post("/api/v1/privacy/requests/mine", {"kind": "erasure"}, content_type="application/json")
    signed_out = browser.post("/api/v1/account/sign-out-everywhere", content_type="application/json")

    for response in (shared, erased, signed_out):
        assert response.status_code == 403
        assert response.json()["code"] == "csrf_failed"
    assert TrackedLink.objects.count() == DataSubjectRequest.objects.count() == 0
    assert browser.get("/api/v1/account").status_code == 200  # reads need no token; still signed in


def test_the_token_from_the_csrf_endpoint_lets_the_write_through(browser, site_tree, django_assert_num_queries):
    guide = make_guide(make_creator("maya"), title="Desk lamps")
    browser.get("/api/v1/account/csrf")  # warm-up
    with django_assert_num_queries(0):
        token = browser.get("/api/v1/account/csrf").json()["csrf_token"]

    shared = browser.post("/api/v1/account/shares", {"page_id": guide.pk}, content_type="application/json",
                          headers={"X-CSRFToken": token})

    assert "csrftoken" in browser.cookies
    assert shared.status_code == 201
    assert TrackedLink.objects.get().code == shared.json()["code"]
