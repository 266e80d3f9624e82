"""Issue 16 item 4: "Preview on the front end" opens a working page, and the demo's Site, admin base
URL, content API links and printed address follow the HOST/PORT it runs on."""

import io
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Site

pytestmark = pytest.mark.django_db


def test_preview_on_the_front_end_renders_the_draft_on_the_reader_site(client, guide_with_draft):
    client.force_login(guide_with_draft.owner)
    location = urlparse(client.get(reverse("content_headless_preview", args=[guide_with_draft.pk]))["Location"])
    assert f"{location.scheme}://{location.netloc}" == "http://testserver"

    reader = client.__class__()
    response = reader.get(f"{location.path}?{location.query}")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Draft title</h1>" in html or "Draft title" in html.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    assert "Live title" not in html.split("<main", 1)[1]


@pytest.mark.parametrize("query", ["", "?token=not-a-token"])
def test_the_preview_route_shows_nothing_without_a_valid_token(client, guide_with_draft, query):
    response = client.get(f"/preview/{query}")

    assert response.status_code == 403
    assert "Draft title" not in response.content.decode()
    assert "The preview token is invalid." in response.content.decode()


def test_load_demo_points_the_site_and_its_api_links_at_the_configured_address(client, settings):
    settings.KOLSHOP_SITE_URL = "http://127.0.0.1:8123"
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8123"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.root_url) == ("127.0.0.1", 8123, "http://127.0.0.1:8123")
    assert "kolshop is at http://127.0.0.1:8123/  (admin: http://127.0.0.1:8123/admin/)" in out.getvalue()
    assert "8000" not in out.getvalue()
    page = client.get("/api/v2/pages/?type=content.BuyingGuidePage&limit=1", HTTP_HOST="127.0.0.1:8123").json()["items"][0]
    assert page["meta"]["html_url"].startswith("http://127.0.0.1:8123/")
    assert page["meta"]["detail_url"] == f"http://127.0.0.1:8123/api/v2/pages/{page['id']}/"
    found = client.get(f"/api/v2/pages/find/?html_path={urlparse(page['meta']['html_url']).path}",
                       HTTP_HOST="127.0.0.1:8123")
    assert found.status_code == 302 and found["Location"].rstrip("?") == page["meta"]["detail_url"]


def test_dev_settings_take_the_address_from_host_and_port():
    script = ("from settings import dev; "
              "print(dev.WAGTAILADMIN_BASE_URL, dev.KOLSHOP_SITE_URL, '127.0.0.2' in dev.ALLOWED_HOSTS)")
    env = {"HOST": "127.0.0.2", "PORT": "8765", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                            cwd=str(Path(__file__).resolve().parents[2]))
    assert result.stdout.split() == ["http://127.0.0.2:8765", "http://127.0.0.2:8765", "True"]
