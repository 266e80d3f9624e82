"""Creators work only on their own pages; another creator is refused on every page view."""

import pytest
from django.urls import reverse
from wagtail.models import Page

from content.models import BuyingGuidePage
from tests.factories import make_creator, make_guide, make_product, product_card, storefront_of

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Bea unreleased picks"


@pytest.fixture
def two_creators():
    alice = make_creator("alice")
    bea = make_creator("bea")
    product = make_product()
    guide = make_guide(bea, title=SECRET_TITLE, slug="secret", body=[product_card(product)], publish=False)
    guide.title = SECRET_TITLE + " v2"
    guide.save_revision(user=bea.user)
    return alice, bea, guide


def admin_urls_for(page: Page) -> dict[str, str]:
    revision = page.latest_revision
    return {
        "edit": reverse("wagtailadmin_pages:edit", args=[page.pk]),
        "history": reverse("wagtailadmin_pages:history", args=[page.pk]),
        "revision view": reverse("wagtailadmin_pages:revisions_view", args=[page.pk, revision.pk]),
        "revision revert": reverse("wagtailadmin_pages:revisions_revert", args=[page.pk, revision.pk]),
        "revision compare": reverse("wagtailadmin_pages:revisions_compare", args=[page.pk, "earliest", "latest"]),
        "copy": reverse("wagtailadmin_pages:copy", args=[page.pk]),
        "preview": reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk]),
        "view draft": reverse("wagtailadmin_pages:view_draft", args=[page.pk]),
        "delete": reverse("wagtailadmin_pages:delete", args=[page.pk]),
        "move": reverse("wagtailadmin_pages:move", args=[page.pk]),
        "workflow history": reverse("wagtailadmin_pages:workflow_history", args=[page.pk]),
        "add subpage": reverse("wagtailadmin_pages:add_subpage", args=[page.get_parent().pk]),
    }


def assert_refused(response, *, what: str) -> None:
    body = response.content.decode(errors="replace")
    assert SECRET_TITLE not in body, f"{what} leaked the page"
    if response.status_code == 302:
        location = response["Location"]
        assert location.startswith(("/admin/login/", "/admin/")) and "/pages/" not in location, (what, location)
    else:
        assert response.status_code in (403, 404), (what, response.status_code)


def test_creator_a_is_refused_on_every_view_of_creator_bs_page(client, two_creators):
    alice, _, guide = two_creators
    client.force_login(alice.user)

    for what, url in admin_urls_for(guide).items():
        assert_refused(client.get(url), what=what)
    # POSTs that would change or render the page are refused too
    for what in ("edit", "copy", "preview", "revision revert", "delete", "move"):
        response = client.post(admin_urls_for(guide)[what], {"title": "hijacked", "slug": "hijacked"})
        assert_refused(response, what=f"POST {what}")

    guide.refresh_from_db()
    assert guide.title == SECRET_TITLE
    assert not BuyingGuidePage.objects.filter(slug="hijacked").exists()


def test_creator_a_cannot_add_pages_under_creator_bs_storefront(client, two_creators):
    alice, bea, _ = two_creators
    client.force_login(alice.user)
    url = reverse("wagtailadmin_pages:add", args=["content", "buyingguidepage", storefront_of(bea).pk])

    assert client.get(url).status_code in (302, 403)
    client.post(url, {"title": "Squatter", "slug": "squatter"})

    assert not BuyingGuidePage.objects.filter(slug="squatter").exists()


def test_a_creator_can_open_every_view_of_their_own_page(client, two_creators):
    _, bea, guide = two_creators
    client.force_login(bea.user)
    urls = admin_urls_for(guide)

    for what in ("edit", "history", "revision view", "revision compare", "view draft", "workflow history"):
        response = client.get(urls[what])
        assert response.status_code == 200, what
    assert SECRET_TITLE in client.get(urls["edit"]).content.decode()


def test_a_creator_can_not_publish_but_submits_for_moderation(client, two_creators):
    _, bea, guide = two_creators
    client.force_login(bea.user)
    url = reverse("wagtailadmin_pages:edit", args=[guide.pk])
    form = {"title": "Ready for review", "slug": "secret", "summary": "", "body-count": "0"}

    client.post(url, {**form, "action-publish": "publish"})
    guide.refresh_from_db()
    assert guide.live is False

    response = client.post(url, {**form, "action-submit": "submit"})
    assert response.status_code == 302
    guide.refresh_from_db()
    assert guide.live is False
    assert guide.current_workflow_state is not None
    assert guide.current_workflow_state.status == "in_progress"


def test_an_editor_approves_and_publishes_a_submitted_page(client, two_creators):
    from django.contrib.auth.models import Group

    from tests.factories import make_user

    _, bea, guide = two_creators
    guide.get_workflow().start(guide, bea.user)
    editor = make_user("ed", is_staff=False)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    task_state = guide.current_workflow_state.current_task_state

    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[guide.pk, "approve", task_state.pk]), {"comment": ""}
    )

    assert response.status_code in (200, 302)
    guide.refresh_from_db()
    assert guide.live is True
    assert guide.title == SECRET_TITLE + " v2"
