"""The content API remembers, per process, which site a host asks for under the page cache's generation; a site
change whose generation move a cache outage lost is seen within ``host_site_seconds()`` all the same: as long as the
page JSON is kept, and never more than 60 s."""

from types import SimpleNamespace

import pytest
from wagtail.models import Site

from content.api import page_lookup
from tests.factories import make_creator, make_guide

pytestmark = pytest.mark.django_db


def _status(client, page_id: int, fields: str) -> int:
    """A variant of its own each time (``fields``), so the page is rendered, not served from its cached entry."""
    return client.get(f"/api/v2/pages/{page_id}/", {"fields": fields}).status_code


@pytest.mark.parametrize(("page_seconds", "bound"), [(30, 30), (600, 60)])
def test_a_site_change_the_generation_did_not_see_is_found_once_the_remembered_answer_is_too_old(
        site_tree, client, monkeypatch, settings, page_seconds, bound):
    settings.KOLSHOP_API_CACHE_SECONDS = page_seconds
    guide = make_guide(make_creator("pia"))
    now = [1_000.0]
    monkeypatch.setattr(page_lookup, "time", SimpleNamespace(monotonic=lambda: now[0]))
    monkeypatch.setattr(page_lookup, "_HOST_SITES", {})
    # The first read learns the page's type; the second finds the host's site (the default one) and remembers it.
    assert [_status(client, guide.pk, "title"), _status(client, guide.pk, "slug")] == [200, 200]
    assert len(page_lookup._HOST_SITES) == 1

    # The only site stops answering for other hosts, and the generation move is lost (as in a cache outage).
    Site.objects.update(is_default_site=False, hostname="elsewhere.example.com")
    remembered = _status(client, guide.pk, "title,slug")
    now[0] += bound - 1
    still_remembered = _status(client, guide.pk, "slug,seo_title")
    now[0] += 2
    expired = _status(client, guide.pk, "title,seo_title")

    assert page_lookup.host_site_seconds() == bound
    assert (remembered, still_remembered) == (200, 200)  # within the bound: the remembered site
    assert expired == 404  # past it: asked of the database again, no site for this host
