"""Headless preview: drafts only with a signed, unexpired token issued from the admin."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import signing
from django.urls import reverse

from content.services.preview import issue_preview_token
from tests.factories import make_creator

pytestmark = pytest.mark.django_db


def test_a_valid_token_serves_the_draft_and_the_published_endpoint_does_not(api_client, guide_with_draft):
    token = issue_preview_token(guide_with_draft)

    preview = api_client.get("/api/v2/pages/preview/", {"token": token})
    published = api_client.get(f"/api/v2/pages/{guide_with_draft.pk}/")

    assert preview.status_code == 200
    assert preview.json()["id"] == guide_with_draft.pk and preview.json()["title"] == "Draft title"
    assert preview.json()["body"][0]["value"]["variant"]["sku"] == "REC-1"
    assert preview["Cache-Control"] == "private, no-store"
    assert published.json()["title"] == "Live title"


def test_an_expired_token_is_refused(api_client, guide_with_draft, monkeypatch, settings):
    settings.KOLSHOP_PREVIEW_TOKEN_SECONDS = 600
    token = issue_preview_token(guide_with_draft)
    issued_at = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: issued_at + 601)

    response = api_client.get("/api/v2/pages/preview/", {"token": token})

    assert response.status_code == 403
    assert response.json() == {
        "code": "preview_token_expired",
        "message": "The preview token has expired; open the preview from the admin again.",
        "field": "token",
    }


@pytest.mark.parametrize(
    "make_token",
    [
        lambda page: issue_preview_token(page)[:-2] + "xx",
        lambda page: signing.TimestampSigner(salt="something-else").sign_object({"page": page.pk, "revision": 1}),
        lambda page: "not-a-token",
    ],
)
def test_a_wrong_token_is_refused(api_client, guide_with_draft, make_token):
    response = api_client.get("/api/v2/pages/preview/", {"token": make_token(guide_with_draft)})

    assert response.status_code == 403
    assert response.json() == {"code": "invalid_preview_token", "message": "The preview token is invalid.", "field": "token"}


def test_no_token_no_draft(api_client, guide_with_draft):
    response = api_client.get("/api/v2/pages/preview/")

    assert response.status_code == 401
    assert response.json() == {"code": "required", "message": "A preview token is required.", "field": "token"}


def test_the_page_editor_gets_a_working_preview_link_from_the_admin(client, api_client, guide_with_draft):
    client.force_login(guide_with_draft.owner)

    response = client.get(reverse("content_headless_preview", args=[guide_with_draft.pk]))

    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == "/preview/"
    query = parse_qs(location.query)
    assert query["content_type"] == ["content.buyingguidepage"]
    assert api_client.get("/api/v2/pages/preview/", {"token": query["token"][0]}).json()["title"] == "Draft title"


def test_someone_who_cannot_edit_the_page_gets_no_preview_link(client, guide_with_draft):
    client.force_login(make_creator("other").user)

    response = client.get(reverse("content_headless_preview", args=[guide_with_draft.pk]))

    assert response.status_code in (302, 403)
    assert "token=" not in response.get("Location", "")
