"""The content API finds a request's site in one plain statement (``content.api.page_query.site_for_host``);
for every way sites can be set up it finds the site Wagtail's ``get_site_for_hostname`` finds."""

import pytest
from django.core.cache import cache
from wagtail.models import Page, Site
from wagtail.models.sites import SITE_ROOT_PATHS_CACHE_KEY, SITE_ROOT_PATHS_CACHE_VERSION, get_site_for_hostname

from content.api.page_query import site_for_host, sites_for_host

pytestmark = pytest.mark.django_db

HOSTS = [("localhost", 80), ("localhost", 8000), ("shop.example.com", 80), ("shop.example.com", 8080),
         ("shop.example.com", 443), ("a.example.com", 80), ("nowhere.example.com", 80)]


def _wagtails(hostname: str, port: int):
    try:
        site = get_site_for_hostname(hostname, port)
    except Site.DoesNotExist:
        return None
    return site.pk, site.root_page.path


def _ours(hostname: str, port: int):
    found = site_for_host(hostname, port)
    return (found[0].pk, found[1]) if found is not None else None


def _sites(*specs):
    Site.objects.all().delete()
    root = Page.get_first_root_node()
    for index, (hostname, port, is_default) in enumerate(specs):
        home = root.add_child(instance=Page(title=f"Home {index}", slug=f"home-{index}"))
        Site.objects.create(hostname=hostname, port=port, root_page=home, is_default_site=is_default)


@pytest.mark.parametrize("specs", [
    [],
    [("localhost", 80, True)],
    [("localhost", 8000, True)],
    [("localhost", 80, True), ("shop.example.com", 80, False), ("shop.example.com", 8080, False)],
    [("localhost", 80, True), ("a.example.com", 443, False)],
    [("a.example.com", 80, False), ("a.example.com", 8080, False)],
    [("shop.example.com", 80, False)],
], ids=["no-site", "default", "default-other-port", "default-and-two-ports", "default-and-one-host",
        "no-default-two-ports", "one-host-no-default"])
def test_the_site_for_every_host_is_the_one_wagtail_finds(specs):
    _sites(*specs)

    assert [_ours(hostname, port) for hostname, port in HOSTS] == [_wagtails(hostname, port) for hostname, port in HOSTS]


@pytest.mark.parametrize("specs", [
    [],
    [("localhost", 80, True)],
    [("localhost", 80, True), ("shop.example.com", 80, False), ("shop.example.com", 8080, False)],
    [("localhost", 80, True), ("a.example.com", 443, False)],
    [("a.example.com", 80, False), ("a.example.com", 8080, False)],
], ids=["no-site", "default", "default-and-two-ports", "default-and-one-host", "no-default-two-ports"])
def test_the_site_root_paths_read_with_the_site_are_the_ones_wagtail_builds(specs):
    _sites(*specs)
    cache.clear()

    found, root_paths = sites_for_host("localhost", 80)

    assert found == site_for_host("localhost", 80)
    assert root_paths == Site.get_site_root_paths()


def test_the_content_api_leaves_wagtail_the_site_root_paths_it_read_with_the_site(client):
    _sites(("localhost", 80, True), ("shop.example.com", 8080, False))
    page = Site.objects.get(hostname="localhost").root_page.add_child(instance=Page(title="About", slug="about"))
    client.get(f"/api/v2/pages/{page.pk}/", HTTP_HOST="localhost")  # the process learns the page's type
    cache.clear()

    response = client.get(f"/api/v2/pages/{page.pk}/", HTTP_HOST="localhost")

    assert response.json()["meta"]["html_url"] == "http://localhost/about/"

    assert cache.get(SITE_ROOT_PATHS_CACHE_KEY, version=SITE_ROOT_PATHS_CACHE_VERSION) == Site.get_site_root_paths()
