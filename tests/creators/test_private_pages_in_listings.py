"""Listings show readers only pages they could open: none behind a password they have not entered."""

import pytest
from django.urls import reverse
from wagtail.models import PageViewRestriction

from tests.factories import make_creator, make_guide, storefront_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client):
    client.defaults["HTTP_HOST"] = "localhost"  # the site tree answers on localhost
    return client


def protect(page, *, password: str = "letmein") -> PageViewRestriction:
    return PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.PASSWORD, password=password)


def enter_password(reader, restriction: PageViewRestriction, *, password: str = "letmein") -> None:
    response = reader.post(
        reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, restriction.page_id]),
        {"password": password, "return_url": "/"},
    )
    assert response.status_code == 302


def test_a_storefront_hides_a_password_protected_guide_until_the_password_is_entered(reader):
    creator = make_creator("mia")
    make_guide(creator, title="Open picks")
    secret = make_guide(creator, title="Members-only picks")
    restriction = protect(secret)

    before = reader.get(storefront_of(creator).url).content.decode()
    enter_password(reader, restriction)
    after = reader.get(storefront_of(creator).url).content.decode()

    assert "Open picks" in before and "Members-only picks" not in before and secret.url not in before
    assert "Open picks" in after and "Members-only picks" in after


def test_the_creators_index_hides_a_password_protected_storefront(reader):
    mia, leo = make_creator("mia"), make_creator("leo")
    protect(storefront_of(leo))

    html = reader.get(storefront_of(mia).get_parent().url).content.decode()

    assert "@mia" in html
    assert "@leo" not in html and storefront_of(leo).url not in html


def test_the_home_page_hides_password_protected_guides(reader):
    creator = make_creator("mia")
    make_guide(creator, title="Open picks")
    protect(make_guide(creator, title="Members-only picks"))

    html = reader.get("/").content.decode()

    assert "Open picks" in html and "Members-only picks" not in html


def test_the_pages_api_lists_a_protected_page_only_after_its_password(reader):
    creator = make_creator("mia")
    open_guide = make_guide(creator, title="Open picks")
    secret = make_guide(creator, title="Members-only picks")
    restriction = protect(secret)

    def listed_titles() -> set[str]:
        data = reader.get("/api/v2/pages/", {"type": "content.BuyingGuidePage", "fields": "title"}).json()
        return {item["title"] for item in data["items"]}

    assert listed_titles() == {open_guide.title}
    assert reader.get(f"/api/v2/pages/{secret.pk}/").status_code == 404
    enter_password(reader, restriction)
    assert listed_titles() == {open_guide.title, secret.title}
