"""A sale with no session on air looks no session up (``content.live.changes.any_session_live``, a flag in the
shared cache); a session going live is seen by the very next sale, and ending it drops the flag."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content.live.changes import any_session_live
from content.live.models import LiveSession
from content.live.services import end_session, pin_product, start_session
from shop.services.checkout import confirm_payment
from tests.live.helpers import lipstick, make_session
from tests.shop.helpers import cart_with, checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    cache.clear()
    return shop_settings


def _live_look_ups(captured) -> int:
    return sum('"content_livesession"' in query["sql"] for query in captured.captured_queries)


def test_a_sale_with_no_session_live_looks_none_up(django_capture_on_commit_callbacks):
    product = lipstick("LIP-1", on_hand=10)
    make_session(products=[product])
    any_session_live()  # the flag is filled: no session is live

    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
        confirm_payment(checkout(cart_with(("LIP-1", 1))).order)

    assert (_live_look_ups(captured), any_session_live()) == (0, False)


def test_a_session_going_live_is_seen_by_the_next_sale_and_ending_it_drops_the_flag(
        django_capture_on_commit_callbacks):
    product = lipstick("LIP-1", on_hand=10)
    page = make_session(products=[product])
    assert any_session_live() is False  # cached "no" before the session goes on air
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page, now=timezone.now() - timedelta(seconds=60))
        pin_product(page, product_id=product.pk)
    before = LiveSession.objects.get(page=page).version

    with django_capture_on_commit_callbacks(execute=True):
        confirm_payment(checkout(cart_with(("LIP-1", 2))).order)
    sold = LiveSession.objects.get(page=page).version
    with django_capture_on_commit_callbacks(execute=True):
        end_session(page)

    assert sold > before
    assert cache.get("kolshop-live:any-session-live") is None  # dropped after the end's commit
    assert any_session_live() is False


def test_a_sale_while_the_cache_is_down_still_raises_a_live_sessions_version(
        django_capture_on_commit_callbacks, monkeypatch):
    product = lipstick("LIP-1", on_hand=10)
    page = make_session(products=[product])
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page, now=timezone.now() - timedelta(seconds=60))
        pin_product(page, product_id=product.pk)
    before = LiveSession.objects.get(page=page).version

    get, add = cache.get, cache.add

    def down(call):
        def failing(key, *args, **kwargs):
            if key == "kolshop-live:any-session-live":
                raise ConnectionError("cache down")
            return call(key, *args, **kwargs)
        return failing

    monkeypatch.setattr(cache, "get", down(get))
    monkeypatch.setattr(cache, "add", down(add))
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm_payment(checkout(cart_with(("LIP-1", 2))).order)

    assert (order.status, any_session_live()) == ("paid", True)
    assert LiveSession.objects.get(page=page).version > before
