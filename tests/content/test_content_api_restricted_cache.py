"""A page behind a view restriction is never shared through the page cache: a signed-in reader (past a LOGIN
restriction) or a session that entered a page's password reads it uncached and privately, and an anonymous
reader after them still gets 404."""

import base64

import pytest
from django.core.cache import cache
from django.test import Client
from wagtail.models import PageViewRestriction

from tests.factories import logged_in, make_creator, make_guide, make_product, make_user, product_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide(settings):
    settings.KOLSHOP_API_CACHE_SECONDS = 60
    return make_guide(make_creator("pia"), body=[product_card(make_product())])


def test_a_login_restricted_page_read_by_a_signed_in_user_is_not_served_to_anyone_else(guide):
    PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.LOGIN)
    signed_in = logged_in(make_user("someone"))
    url = f"/api/v2/pages/{guide.pk}/"

    before = Client().get(url).status_code
    first, again = signed_in.get(url), signed_in.get(url)
    after = Client().get(url).status_code

    assert (before, first.status_code, again.status_code, after) == (404, 200, 200, 404)
    assert first["Cache-Control"] == again["Cache-Control"] == "private, no-store"


def test_a_password_restricted_page_read_after_its_password_is_not_served_to_anyone_else(guide):
    restriction = PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.PASSWORD,
                                                     password="open-sesame")
    reader = Client()
    session = reader.session
    session[PageViewRestriction.passed_view_restrictions_session_key] = [restriction.pk]
    session.save()
    url = f"/api/v2/pages/{guide.pk}/"

    passed = reader.get(url)
    after = Client().get(url)

    assert (passed.status_code, passed["Cache-Control"], after.status_code) == (200, "private, no-store", 404)


def test_a_public_page_read_by_a_signed_in_user_first_is_still_cached_for_everyone(guide,
                                                                                   django_assert_num_queries):
    signed_in = logged_in(make_user("someone"))
    url = f"/api/v2/pages/{guide.pk}/"
    signed_in.get(url)
    first = Client().get(url)

    with django_assert_num_queries(0):
        hit = Client().get(url)

    assert (first.status_code, hit.content, hit["Cache-Control"]) == (200, first.content, "public, max-age=60")


def test_with_no_view_restriction_anywhere_a_signed_in_hit_reads_nothing_but_the_cache(guide,
                                                                                      django_assert_num_queries):
    signed_in = logged_in(make_user("someone"))
    url = f"/api/v2/pages/{guide.pk}/"
    signed_in.get(url)

    with django_assert_num_queries(0):
        hit = signed_in.get(url)

    assert (hit.status_code, hit["Cache-Control"]) == (200, "public, max-age=60")
    PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.LOGIN)
    assert (signed_in.get(url)["Cache-Control"], Client().get(url).status_code) == ("private, no-store", 404)


def test_a_request_signed_in_by_http_basic_reads_as_anonymous_and_caches_nothing_restricted(guide):
    PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.LOGIN)
    make_user("staff", password="pw")
    url = f"/api/v2/pages/{guide.pk}/"
    basic = "Basic " + base64.b64encode(b"staff:pw").decode()

    with_password = Client().get(url, HTTP_AUTHORIZATION=basic)
    wrong_password = Client().get(url, HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"staff:no").decode())
    after = Client().get(url)

    assert (with_password.status_code, wrong_password.status_code, after.status_code) == (404, 404, 404)


def test_a_signed_in_reader_the_flag_wrongly_calls_anonymous_gets_404_and_nothing_is_shared(guide):
    PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.LOGIN)
    cache.set("kolshop:api:any-view-restriction", False)  # a "no" a restarted Redis brought back
    signed_in = logged_in(make_user("someone"))
    url = f"/api/v2/pages/{guide.pk}/"

    read = signed_in.get(url)
    after = Client().get(url)

    assert (read.status_code, after.status_code) == (404, 404)
