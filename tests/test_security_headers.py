"""Content-Security-Policy on every page, nothing sent to third parties from the admin, and API docs
served from our own static files."""

import re

import pytest

from settings.csp import media_origins, policy_additions

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_the_reader_site_forbids_inline_and_foreign_scripts(client, settings):
    settings.KOLSHOP_PAYMENT_GATEWAY = "dummy"

    policy = directives(client.get("/cart/"))

    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]


def test_the_stripe_gateway_allows_only_stripes_script_frames_and_api(client, settings):
    settings.KOLSHOP_PAYMENT_GATEWAY = "stripe"

    policy = directives(client.get("/cart/"))

    assert policy["script-src"] == ["'self'", "https://js.stripe.com"]
    assert policy["frame-src"] == ["'self'", "https://js.stripe.com", "https://hooks.stripe.com"]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]


def test_only_the_admin_allows_wagtails_inline_scripts(admin_client):
    admin = directives(admin_client.get("/admin/"))
    api = directives(admin_client.get("/api/v1/openapi.json"))

    assert admin["script-src"] == ["'self'", "'unsafe-inline'"]
    assert api["script-src"] == ["'self'"]


def test_media_on_s3_is_allowed_for_images_video_and_uploads(settings):
    settings.AWS_STORAGE_BUCKET_NAME = "kolshop-media"
    settings.AWS_S3_CUSTOM_DOMAIN = "media.kolshop.example"
    settings.AWS_S3_ENDPOINT_URL = None
    settings.AWS_S3_REGION_NAME = "eu-west-1"
    settings.KOLSHOP_PAYMENT_GATEWAY = "dummy"

    origins = ["https://kolshop-media.s3.eu-west-1.amazonaws.com", "https://media.kolshop.example",
               "https://s3.eu-west-1.amazonaws.com"]
    assert media_origins() == origins
    assert policy_additions("/guides/") == {"img-src": origins, "media-src": origins, "connect-src": origins}


def test_the_admin_sends_nothing_to_gravatar_or_wagtails_update_check(admin_client):
    html = admin_client.get("/admin/").content.decode()

    assert "gravatar" not in html.lower()
    assert "releases.wagtail.org" not in html
    assert "data-w-upgrade" not in html


def test_the_api_docs_use_vendored_swagger_ui_with_no_external_host(client):
    response = client.get("/api/v1/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/ninja/swagger-ui.css" in html
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    assert "<script>" not in html
