"""The version readers compare moves on every change they see: sales, holds, refunds, stock edits of what is
shown, a deal opening or ending (on time, sold out or closed by the host); nothing else moves it."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from content.live import notify
from content.live.models import LiveSession
from content.live.notify import state_cache_key
from content.live.services import end_flash_deal, pin_product, start_flash_deal, start_session
from content.live.state import compute_live_state, live_state
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment
from shop.services.inventory import set_stock_on_hand
from shop.services.refunds import refund_order
from tests.factories import make_creator
from tests.live.helpers import flash, lipstick, make_session
from tests.shop.helpers import cart_with, checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    cache.clear()
    return shop_settings


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, dict]]:
    """What went out to the streams (``operations.pubsub.publish``)."""
    sent = []
    monkeypatch.setattr(notify.pubsub, "publish", lambda channel, payload: sent.append((channel, payload)))
    return sent


def _version(page) -> int:
    return LiveSession.objects.get(page=page).version


def _on_air(page, capture, *, pinned=None, since_seconds: int = 60):
    with capture(execute=True):
        start_session(page, now=timezone.now() - timedelta(seconds=since_seconds))
        if pinned is not None:
            pin_product(page, product_id=pinned.pk)


def test_a_paid_sale_of_the_pinned_product_raises_the_version_and_tells_the_streams(
        django_capture_on_commit_callbacks, published):
    product = lipstick("LIP-1", on_hand=10)
    page = make_session(products=[product])
    _on_air(page, django_capture_on_commit_callbacks, pinned=product)
    before = _version(page)
    live_state(page.pk)  # cached

    with django_capture_on_commit_callbacks(execute=True):
        order = checkout(cart_with(("LIP-1", 2))).order
    placed = _version(page)
    with django_capture_on_commit_callbacks(execute=True):
        confirm_payment(order)

    assert placed > before and _version(page) > placed
    assert published[-1] == (f"live:{page.pk}", {"version": _version(page)})
    assert live_state(page.pk)["pin"]["available"] == 8  # the cached state was dropped
    assert live_state(page.pk)["version"] == _version(page)


def test_a_stock_edit_of_the_pinned_product_raises_the_version_and_of_another_product_does_not(
        django_capture_on_commit_callbacks, published):
    shown, other = lipstick("LIP-1", on_hand=10), lipstick("LIP-2", on_hand=10)
    page = make_session(products=[shown, other])
    _on_air(page, django_capture_on_commit_callbacks, pinned=shown)
    before, sent_before = _version(page), len(published)

    with django_capture_on_commit_callbacks(execute=True):
        set_stock_on_hand(other.variants.get(), on_hand=3)
    unchanged = (_version(page), len(published))
    with django_capture_on_commit_callbacks(execute=True):
        set_stock_on_hand(shown.variants.get(), on_hand=4)

    assert unchanged == (before, sent_before)
    assert _version(page) > before
    assert published[-1] == (f"live:{page.pk}", {"version": _version(page)})
    assert live_state(page.pk)["pin"]["available"] == 4


def test_a_session_that_is_not_live_is_left_alone(django_capture_on_commit_callbacks, published):
    product = lipstick("LIP-1", on_hand=10)
    page = make_session(products=[product])

    with django_capture_on_commit_callbacks(execute=True):
        set_stock_on_hand(product.variants.get(), on_hand=4)
        checkout(cart_with(("LIP-1", 1)))

    assert LiveSession.objects.filter(page=page).first() is None and published == []


def test_the_last_units_of_a_deal_selling_out_raise_the_version_and_show_none_left(
        django_capture_on_commit_callbacks, published):
    product = lipstick("LIP-1", price="20.00", on_hand=30)
    page = make_session(products=[product])
    _on_air(page, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        deal = start_flash_deal(page, deal=flash(product.variants.get(), unit_cap=2, per_buyer_limit=2)).promotion
    before = live_state(page.pk)

    cart = cart_with()
    add_to_cart(cart, sku="LIP-1", quantity=2, promotion_id=deal.pk)
    with django_capture_on_commit_callbacks(execute=True):
        confirm_payment(checkout(cart).order)
    after = live_state(page.pk)

    assert before["deals"][0]["remaining_units"] == 2
    assert after["deals"][0]["remaining_units"] == 0
    assert after["version"] > before["version"]
    assert published[-1] == (f"live:{page.pk}", {"version": after["version"]})


def test_a_refund_gives_deal_units_back_and_raises_the_version(django_capture_on_commit_callbacks, published):
    product = lipstick("LIP-1", price="20.00", on_hand=30)
    page = make_session(products=[product])
    _on_air(page, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        deal = start_flash_deal(page, deal=flash(product.variants.get(), unit_cap=5, per_buyer_limit=2)).promotion
    cart = cart_with()
    add_to_cart(cart, sku="LIP-1", quantity=2, promotion_id=deal.pk)
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm_payment(checkout(cart).order) or cart.orders.get()
    before = live_state(page.pk)

    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order)
    after = live_state(page.pk)

    assert (before["deals"][0]["remaining_units"], after["deals"][0]["remaining_units"]) == (3, 5)
    assert after["version"] > before["version"]
    assert published[-1] == (f"live:{page.pk}", {"version": after["version"]})


def test_a_deal_opening_after_its_countdown_and_ending_on_time_each_move_the_version_without_a_write(
        django_capture_on_commit_callbacks):
    product = lipstick("LIP-1", price="20.00")
    page = make_session(products=[product])
    _on_air(page, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        deal = start_flash_deal(page, deal=flash(product.variants.get(), seconds=60, countdown=30)).promotion
    stored = _version(page)

    counting_down = compute_live_state(page.pk, now=deal.starts_at - timedelta(seconds=1))
    running = compute_live_state(page.pk, now=deal.starts_at)
    ended = compute_live_state(page.pk, now=deal.ends_at)

    assert [state["version"] for state in (counting_down, running, ended)] == [stored, stored + 1, stored + 2]
    assert [state["deals"][0]["running"] for state in (counting_down, running)] == [False, True]
    assert (counting_down["next_change_at"], running["next_change_at"]) == (
        deal.starts_at.isoformat(), deal.ends_at.isoformat())
    assert (ended["deals"], ended["next_change_at"]) == ([], None)
    assert _version(page) == stored


def test_a_cached_state_is_not_served_past_its_next_deal_moment(django_capture_on_commit_callbacks):
    product = lipstick("LIP-1", price="20.00")
    page = make_session(products=[product])
    _on_air(page, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        start_flash_deal(page, deal=flash(product.variants.get(), seconds=60))
    stale = {**compute_live_state(page.pk), "next_change_at": (timezone.now() - timedelta(seconds=1)).isoformat()}
    cache.set(state_cache_key(page.pk), stale, 60)

    assert live_state(page.pk)["next_change_at"] == compute_live_state(page.pk)["next_change_at"]


def test_the_host_ends_a_deal_early_from_the_console_and_its_price_stops_at_once(
        django_capture_on_commit_callbacks, published):
    creator = make_creator("rex")
    product = lipstick("LIP-1", price="20.00")
    page = make_session(creator, products=[product])
    _on_air(page, django_capture_on_commit_callbacks, pinned=product)
    with django_capture_on_commit_callbacks(execute=True):
        deal = start_flash_deal(page, deal=flash(product.variants.get(), price="12.00", seconds=300)).promotion
    before = live_state(page.pk)
    client = Client()
    client.force_login(creator.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/live/{page.pk}/end-deal/", {"deal": deal.pk})
    after = live_state(page.pk)
    deal.refresh_from_db()

    assert response.status_code == 302
    assert (before["pin"]["price"], before["pin"]["deal_id"]) == ("12.00", deal.pk)
    assert (after["pin"]["price"], after["pin"]["deal_id"], after["deals"]) == ("20.00", None, [])
    assert after["version"] > before["version"]
    assert deal.ends_at <= timezone.now() and deal.ends_at - deal.starts_at >= timedelta(seconds=10)
    assert after["version"] == _version(page) + 1  # the stored counter, plus the deal's (early) end
    assert published[-1] == (f"live:{page.pk}", {"version": _version(page)})  # a wake-up: streams re-read


def test_a_deal_still_counting_down_can_be_called_off_and_ending_twice_changes_nothing(
        django_capture_on_commit_callbacks):
    product = lipstick("LIP-1", price="20.00")
    page = make_session(products=[product])
    _on_air(page, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        deal = start_flash_deal(page, deal=flash(product.variants.get(), seconds=60, countdown=120)).promotion

    with django_capture_on_commit_callbacks(execute=True):
        end_flash_deal(page, promotion_id=deal.pk)
    version = _version(page)
    end_flash_deal(page, promotion_id=deal.pk)

    assert live_state(page.pk)["deals"] == []
    assert _version(page) == version
