"""Readers: the live page renders the state and loads the live script; the replay shows chapters; the API too."""

import pytest
from django.core.cache import cache

from content.live.models import ReplayChapter
from content.live.services import end_session, mark_replay_ready, pin_product, start_session
from tests.live.helpers import lipstick, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()


def _replay_ready_session(django_capture_on_commit_callbacks):
    product = lipstick("LIP-1")
    page = make_session(products=[product])
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page)
        pin_product(page, product_id=product.pk, variant_id=product.variants.get().pk)
        end_session(page)
    return page, product


def test_the_live_page_shows_the_pin_and_loads_the_live_script(client, django_capture_on_commit_callbacks):
    product = lipstick("LIP-1")
    page = make_session(products=[product])
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page)
        pin_product(page, product_id=product.pk)

    html = client.get(page.url).content.decode()

    assert f'data-state-url="/api/live/{page.pk}/state/"' in html
    assert f'data-events-url="/api/live/{page.pk}/events/"' in html
    assert "<strong>Lipstick LIP-1</strong> 20.00 USD" in html
    assert "content/live.js" in html


def test_chapters_appear_to_readers_once_the_replay_is_ready(client, django_capture_on_commit_callbacks):
    page, product = _replay_ready_session(django_capture_on_commit_callbacks)
    assert client.get(f"/api/v2/pages/{page.pk}/").json()["live"]["chapters"] == []

    with django_capture_on_commit_callbacks(execute=True):
        mark_replay_ready(page)
    live = client.get(f"/api/v2/pages/{page.pk}/").json()["live"]
    html = client.get(page.url).content.decode()

    chapter = ReplayChapter.objects.get()
    assert live["status"] == "replay_ready"
    assert [{key: item[key] for key in ("id", "title", "product_id", "sku", "start_seconds")}
            for item in live["chapters"]] == [
        {"id": chapter.pk, "title": "Lipstick LIP-1", "product_id": product.pk, "sku": "LIP-1", "start_seconds": 0}]
    assert live["chapters"][0]["buy_url"].startswith("/buy/LIP-1/?ref=")
    assert 'data-seek="0"' in html and "Lipstick LIP-1" in html
