"""A page the API has served before is read in one statement (``content.api.page_query``): for every page type,
``?fields=`` variant, rich text format, site and view restriction, its answer is byte for byte the answer of
Wagtail's own lookup (a process that has not served the page yet)."""

import time as real_time
from datetime import timedelta
from types import SimpleNamespace

import django.core.signing
import pytest
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction, Site

from content.api.page_query import read_public_page
from content.api.page_lookup import forget_page_classes
from content.models import HomePage, LiveSessionPage
from creators.models import CreatorIndexPage
from tests.factories import (
    add_product_image, make_creator, make_guide, make_image, make_product, product_card, storefront_of,
)

pytestmark = pytest.mark.django_db

FIELD_VARIANTS = ["", "?fields=*,-body", "?fields=_,title,parent,html_url,tags", "?rich_text_format=markdown",
                  "?site=localhost:80", "?fields=nonsense", "?site=nowhere.example.com"]


@pytest.fixture(autouse=True)
def one_statement_reads(settings, monkeypatch):
    """Uncached reads, buy links signed in one second by both reads; counts the one-statement reads."""
    settings.KOLSHOP_API_CACHE_SECONDS = 0
    instant = real_time.time()
    monkeypatch.setattr(django.core.signing, "time", SimpleNamespace(time=lambda: instant))
    reads = []

    def counted(*args, **kwargs):
        reads.append(args)
        return read_public_page(*args, **kwargs)

    monkeypatch.setattr("content.api.page_lookup.read_public_page", counted)
    return reads


def _wagtails_then_ours(client, url: str):
    forget_page_classes()
    cache.clear()
    wagtails = client.get(url)  # the process does not know the page: Wagtail's lookup
    cache.clear()
    ours = client.get(url)  # known now: one statement
    return wagtails, ours


def _assert_same_answers(client, page, variants=FIELD_VARIANTS):
    for variant in variants:
        wagtails, ours = _wagtails_then_ours(client, f"/api/v2/pages/{page.pk}/{variant}")
        assert (ours.status_code, ours.content) == (wagtails.status_code, wagtails.content), variant


def _shoppable_guide():
    creator = make_creator("pia")
    creator.avatar = make_image("Pia")
    creator.save()
    product = make_product()
    add_product_image(product)
    guide = make_guide(creator, title="Lamps", body=[product_card(product, note="bright")])
    guide.hero_image = make_image("Hero")
    guide.tags.add("light", "desk")
    guide.save_revision().publish()
    return guide


def test_a_guide_reads_the_same_bytes_as_wagtail_s_lookup_for_every_field_variant(api_client, one_statement_reads):
    guide = _shoppable_guide()

    _assert_same_answers(api_client, guide)

    # every second read but the unknown site's (refused before any page is read) took one statement
    assert len(one_statement_reads) == len(FIELD_VARIANTS) - 1

    # the page read in one statement carries its creator, hero, tags and parent as Wagtail's does
    body = api_client.get(f"/api/v2/pages/{guide.pk}/?fields=*").json()
    assert (body["creator"]["handle"], body["hero_image"]["alt"], body["tags"]) == ("pia", "Hero", ["desk", "light"])
    assert body["meta"]["parent"]["id"] == storefront_of(guide.creator).pk


def test_a_live_session_a_storefront_the_home_and_the_creators_index_read_the_same_bytes(api_client):
    creator = make_creator("mia")
    starts_at = timezone.now().replace(microsecond=0)
    session = LiveSessionPage(title="Friday live", slug="friday", starts_at=starts_at,
                              ends_at=starts_at + timedelta(hours=1), body=[])
    storefront_of(creator).add_child(instance=session)
    session.save_revision().publish()
    variants = ["?fields=*", "?fields=_,parent,live"]

    for page in [session, storefront_of(creator), HomePage.objects.get(), CreatorIndexPage.objects.get()]:
        _assert_same_answers(api_client, page, variants)


def test_a_page_below_a_restriction_or_outside_the_site_is_not_found_by_either_lookup(api_client):
    guide = _shoppable_guide()
    other_root = Page.get_first_root_node().add_child(instance=Page(title="Elsewhere", slug="elsewhere"))
    Site.objects.create(hostname="other.example.com", port=80, root_page=other_root)
    variants = ["", "?site=other.example.com"]

    _assert_same_answers(api_client, guide, variants)  # outside other.example.com: 404 there
    for restriction_type in (PageViewRestriction.LOGIN, PageViewRestriction.PASSWORD, PageViewRestriction.GROUPS):
        restriction = PageViewRestriction.objects.create(page=storefront_of(guide.creator),
                                                         restriction_type=restriction_type, password="pw")
        wagtails, ours = _wagtails_then_ours(api_client, f"/api/v2/pages/{guide.pk}/")
        assert (wagtails.status_code, ours.status_code) == (404, 404), restriction_type
        restriction.delete()


def test_the_statement_s_public_pages_are_wagtail_s_for_every_restriction_type_wagtail_has():
    # An upgrade guard: for each restriction type Wagtail knows (its choices, not our list), a section restricted
    # by it, its child and grandchild, beside an open section and an unpublished page: the pages the one statement
    # finds for an anonymous reader are the ones Wagtail's get_public_pages_queryset gives that reader.
    from django.contrib.auth.models import AnonymousUser, Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from wagtail.api.querysets import get_public_pages_queryset

    site = Site.objects.get(is_default_site=True)
    home = site.root_page
    sections = {}
    for restriction_type, _label in PageViewRestriction.RESTRICTION_CHOICES:
        section = home.add_child(instance=Page(title=f"Section {restriction_type}", slug=f"section-{restriction_type}"))
        child = section.add_child(instance=Page(title="Child", slug="child"))
        child.add_child(instance=Page(title="Grandchild", slug="grandchild"))
        restriction = PageViewRestriction.objects.create(page=child, restriction_type=restriction_type, password="pw")
        restriction.groups.add(Group.objects.get_or_create(name="readers")[0])
        sections[restriction_type] = section
    draft = home.add_child(instance=Page(title="Draft", slug="draft", live=False))
    draft.add_child(instance=Page(title="Below a draft", slug="below-draft"))
    request = RequestFactory().get("/api/v2/pages/")
    request.user, request.session = AnonymousUser(), SessionStore()

    wagtails = set(get_public_pages_queryset(request).values_list("pk", flat=True))
    ours = {page.pk for page in Page.objects.all()
            if read_public_page(Page, page.pk, site_root_path=home.path) is not None}

    assert ours == wagtails
    # The tree holds what is compared: each restriction type's section is public, and its child only for "none".
    for restriction_type, section in sections.items():
        children = set(section.get_descendants().values_list("pk", flat=True))
        assert (section.pk in ours, children <= ours) == (True, restriction_type == PageViewRestriction.NONE)
    assert draft.pk not in ours and home.pk in ours


def test_a_parent_below_a_restriction_or_unpublished_is_null_in_both_lookups(api_client):
    guide = _shoppable_guide()
    storefront = storefront_of(guide.creator)
    # a "none" restriction refuses nobody: the parent stays
    PageViewRestriction.objects.create(page=storefront, restriction_type=PageViewRestriction.NONE)
    _assert_same_answers(api_client, guide, ["?fields=_,parent"])

    storefront.unpublish()
    _assert_same_answers(api_client, guide, ["?fields=_,parent"])

    wagtails, ours = _wagtails_then_ours(api_client, f"/api/v2/pages/{guide.pk}/?fields=_,parent")
    assert ours.json()["meta"]["parent"] is None


def test_a_guide_without_a_creator_or_hero_reads_the_same_bytes(api_client):
    # given a guide whose creator and hero are unset (null foreign keys: nothing joined below them)
    guide = make_guide(make_creator("ida"), title="Plain", body=[])
    type(guide).objects.filter(pk=guide.pk).update(creator=None, hero_image=None)

    _assert_same_answers(api_client, guide, ["?fields=*"])

    body = api_client.get(f"/api/v2/pages/{guide.pk}/?fields=creator,hero_image,tags").json()
    assert (body["creator"], body["hero_image"], body["tags"]) == (None, None, [])


def test_tag_names_needing_json_escapes_read_the_same_bytes_from_the_page_s_own_statement(api_client):
    # given a guide whose tags need escaping in a JSON array (quotes, a backslash, non-ASCII)
    guide = make_guide(make_creator("ida"), title="Coffee", body=[])
    guide.tags.add('café "noir"', "back\\slash", "日本")
    guide.save_revision().publish()

    _assert_same_answers(api_client, guide, ["?fields=tags"])

    body = api_client.get(f"/api/v2/pages/{guide.pk}/?fields=tags").json()
    assert body["tags"] == sorted(['café "noir"', "back\\slash", "日本"])
