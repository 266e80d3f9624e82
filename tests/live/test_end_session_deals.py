"""Ending a session ends its deals: running and counting-down deals stop pricing at once (``price_line``
answers the list price), carts holding a deal's price are re-priced at checkout, holds made before the end
are honoured, and the live state shows no deal."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from content.live.models import LiveSession, LiveStatus
from content.live.services import end_session, start_flash_deal, start_session
from content.live.state import compute_live_state
from shop.models import Order, OrderStatus, Promotion
from shop.services.cart import PromotionUnavailable, add_to_cart
from shop.services.checkout import PriceChanged, confirm_payment
from shop.services.pricing import PromotionRefusal, price_line
from tests.live.helpers import flash, lipstick, make_session
from tests.shop.helpers import cart_with, checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    cache.clear()
    return shop_settings


def _on_air_with_deals():
    lip, gloss = lipstick("LIP-1", price="20.00", on_hand=10), lipstick("LIP-2", price="18.00", on_hand=10)
    page = make_session(products=[lip, gloss])
    start_session(page, now=timezone.now() - timedelta(minutes=5))
    running = start_flash_deal(page, deal=flash(lip.variants.get(), price="12.00", seconds=600)).promotion
    counting_down = start_flash_deal(page, deal=flash(gloss.variants.get(), price="9.00", countdown=120)).promotion
    return page, running, counting_down


def test_ending_a_session_ends_its_running_and_counting_down_deals_at_once():
    page, running, counting_down = _on_air_with_deals()
    ended_at = timezone.now()

    end_session(page, now=ended_at)

    running.refresh_from_db()
    counting_down.refresh_from_db()
    assert (running.ends_at, counting_down.ends_at) == (ended_at, ended_at)
    after = ended_at + timedelta(microseconds=1)
    prices = [price_line(deal.variant, quantity=1, now=after, promotion=deal) for deal in (running, counting_down)]
    assert [(price.unit_price, price.promotion, price.refusal) for price in prices] == [
        (Decimal("20.00"), None, PromotionRefusal.ENDED), (Decimal("18.00"), None, PromotionRefusal.ENDED)]
    assert LiveSession.objects.get(page=page).status == LiveStatus.ENDED
    assert compute_live_state(page.pk)["deals"] == []


def test_after_the_end_a_cart_at_the_deal_price_is_repriced_and_a_hold_made_before_is_honoured():
    page, running, _ = _on_air_with_deals()
    held, waiting = cart_with(), cart_with()
    add_to_cart(held, sku="LIP-1", quantity=1, promotion_id=running.pk)
    add_to_cart(waiting, sku="LIP-1", quantity=1, promotion_id=running.pk)
    order = checkout(held).order  # units held at the deal price while it ran

    end_session(page)
    paid = confirm_payment(order)
    with pytest.raises(PriceChanged):
        checkout(waiting, email="late@example.com")
    with pytest.raises(PromotionUnavailable) as refused:
        add_to_cart(cart_with(), sku="LIP-1", quantity=1, promotion_id=running.pk)

    assert (paid.status, paid.lines.get().unit_price) == (OrderStatus.PAID, Decimal("12.00"))
    assert Order.objects.filter(email="late@example.com").count() == 0
    assert waiting.lines.get().promotion_id is None
    assert refused.value.code == "promotion_ended"


def test_ending_twice_leaves_the_deals_where_the_first_end_put_them():
    page, running, _ = _on_air_with_deals()
    first_end = timezone.now()
    end_session(page, now=first_end)

    end_session(page, now=first_end + timedelta(minutes=3))

    assert set(Promotion.objects.filter(pk=running.pk).values_list("ends_at", flat=True)) == {first_end}
