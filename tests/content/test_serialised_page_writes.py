"""Every admin write to a page takes the page's write lock (content/middleware.py), not only edits and
workflow actions: unpublish, revert, delete, move, and Wagtail's bulk actions (every page, in id order)."""

import pytest
from django.urls import reverse

import content.middleware
from tests.factories import make_creator, make_guide, make_product, make_user, product_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def locks(monkeypatch) -> list[str]:
    taken: list[str] = []
    real = content.middleware.lock_for_transaction

    def recording(name: str) -> None:
        taken.append(name)
        real(name)

    monkeypatch.setattr(content.middleware, "lock_for_transaction", recording)
    return taken


@pytest.fixture
def staff_client(client):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def _guides(count: int) -> list:
    bea = make_creator("bea")
    return [make_guide(bea, title=f"Guide {n}", slug=f"guide-{n}", body=[product_card(make_product())])
            for n in range(count)]


def test_unpublishing_a_page_takes_its_write_lock_and_unpublishes_it(staff_client, locks):
    [guide] = _guides(1)

    confirm = staff_client.get(reverse("wagtailadmin_pages:unpublish", args=[guide.pk]))
    locks_after_get = list(locks)
    response = staff_client.post(reverse("wagtailadmin_pages:unpublish", args=[guide.pk]))

    guide.refresh_from_db()
    assert (confirm.status_code, locks_after_get) == (200, [])  # a GET writes nothing: no lock
    assert response.status_code == 302
    assert locks == [f"wagtail-page-write:{guide.pk}"]
    assert guide.live is False


def test_reverting_to_a_revision_takes_the_pages_write_lock(staff_client, locks):
    [guide] = _guides(1)
    first = guide.latest_revision
    guide.title = "Renamed"
    guide.save_revision().publish()

    response = staff_client.post(reverse("wagtailadmin_pages:revisions_revert", args=[guide.pk, first.pk]),
                                 {"title": "Guide 0", "slug": "guide-0", "summary": "", "body-count": "0"})

    guide.refresh_from_db()
    assert response.status_code == 302
    assert locks == [f"wagtail-page-write:{guide.pk}"]
    assert (guide.title, guide.draft_title, guide.has_unpublished_changes) == ("Renamed", "Guide 0", True)


def test_a_bulk_unpublish_locks_every_page_in_id_order_and_unpublishes_them(staff_client, locks):
    first, second, untouched = _guides(3)
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "unpublish"])

    response = staff_client.post(f"{url}?id={second.pk}&id={first.pk}&next=/admin/")

    assert response.status_code == 302
    assert locks == [f"wagtail-page-write:{first.pk}", f"wagtail-page-write:{second.pk}"]
    first.refresh_from_db()
    second.refresh_from_db()
    untouched.refresh_from_db()
    assert (first.live, second.live, untouched.live) == (False, False, True)
