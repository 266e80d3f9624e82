"""Flash deals: a promotion kind priced by price_line, sold from the same stock and holds as every sale."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from content.live.services import start_flash_deal, start_session
from shop.errors import Conflict, InvalidInput
from shop.models import Order, OrderStatus, Promotion, PromotionKind
from shop.services.cart import PromotionUnavailable, add_to_cart
from shop.services.checkout import PriceChanged, confirm_payment
from tests.live.helpers import flash, lipstick, make_session
from tests.shop.helpers import cart_with, checkout, on_hand

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


def _live_session_with(product):
    page = make_session(products=[product])
    start_session(page)
    return page


def test_a_flash_deal_is_a_flash_promotion_with_its_window_cap_and_limit():
    product = lipstick()
    page = _live_session_with(product)
    before = timezone.now()

    deal = start_flash_deal(page, deal=flash(product.variants.get(), seconds=120, countdown=15, unit_cap=30))

    promotion = deal.promotion
    assert (promotion.kind, promotion.price, promotion.currency, promotion.unit_cap, promotion.per_buyer_limit) == (
        PromotionKind.FLASH, Decimal("12.00"), "USD", 30, 2)
    assert promotion.ends_at - promotion.starts_at == timedelta(seconds=120)
    assert before + timedelta(seconds=15) <= promotion.starts_at <= timezone.now() + timedelta(seconds=15)


@pytest.mark.parametrize("seconds", [9, 20 * 60 + 1])
def test_a_flash_window_outside_10_seconds_to_20_minutes_is_refused(seconds):
    product = lipstick()
    page = _live_session_with(product)

    with pytest.raises(InvalidInput) as error:
        start_flash_deal(page, deal=flash(product.variants.get(), seconds=seconds))

    assert (error.value.code, error.value.field) == ("invalid_window", "duration")
    assert Promotion.objects.count() == 0


def test_the_database_refuses_a_flash_promotion_without_a_cap_or_with_a_long_window():
    variant = lipstick().variants.get()
    now = timezone.now()
    common = {"kind": PromotionKind.FLASH, "name": "x", "variant": variant, "price": Decimal("5.00"),
              "currency": "USD", "starts_at": now}

    with pytest.raises(IntegrityError), transaction.atomic():
        Promotion.objects.create(**common, ends_at=now + timedelta(minutes=5), per_buyer_limit=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Promotion.objects.create(**common, ends_at=now + timedelta(minutes=21), unit_cap=5, per_buyer_limit=1)


def test_a_flash_deal_needs_a_live_session_and_a_price_below_the_list_price():
    product = lipstick(price="20.00")
    page = make_session(products=[product])
    with pytest.raises(Conflict) as not_live:
        start_flash_deal(page, deal=flash(product.variants.get()))
    start_session(page)

    with pytest.raises(InvalidInput) as too_dear:
        start_flash_deal(page, deal=flash(product.variants.get(), price="20.00"))

    assert (not_live.value.code, too_dear.value.code, too_dear.value.field) == (
        "session_not_live", "invalid_deal", "price")


def test_a_buyer_pays_the_flash_price_and_the_line_records_the_deal():
    product = lipstick("LIP-1", price="20.00", on_hand=10)
    page = _live_session_with(product)
    deal = start_flash_deal(page, deal=flash(product.variants.get(), price="12.00")).promotion
    cart = cart_with()
    add_to_cart(cart, sku="LIP-1", quantity=2, promotion_id=deal.pk)

    order = confirm_payment(checkout(cart).order)

    line = order.lines.get()
    assert (order.status, line.unit_price, line.list_unit_price, line.promotion_id) == (
        OrderStatus.PAID, Decimal("12.00"), Decimal("20.00"), deal.pk)
    assert order.total == Decimal("29.00")  # 2 × 12.00 + 5.00 shipping
    assert on_hand("LIP-1") == 8


def test_a_deal_in_its_countdown_cannot_be_added_yet():
    product = lipstick("LIP-1")
    page = _live_session_with(product)
    deal = start_flash_deal(page, deal=flash(product.variants.get(), countdown=60)).promotion

    with pytest.raises(PromotionUnavailable) as error:
        add_to_cart(cart_with(), sku="LIP-1", quantity=1, promotion_id=deal.pk)

    assert error.value.code == "promotion_not_started"


def test_a_deal_ending_mid_checkout_is_honoured_for_a_hold_made_before_it_ended():
    product = lipstick("LIP-1", price="20.00", on_hand=10)
    page = _live_session_with(product)
    deal = start_flash_deal(page, deal=flash(product.variants.get(), seconds=30)).promotion
    held, late = cart_with(), cart_with()
    add_to_cart(held, sku="LIP-1", quantity=1, promotion_id=deal.pk)
    add_to_cart(late, sku="LIP-1", quantity=1, promotion_id=deal.pk)
    order = checkout(held).order  # reserved while the deal runs

    after_the_end = deal.ends_at + timedelta(seconds=5)
    paid = confirm_payment(order, now=after_the_end)
    with pytest.raises(PriceChanged):
        checkout(late, email="late@example.com", now=after_the_end)

    assert (paid.status, paid.lines.get().unit_price) == (OrderStatus.PAID, Decimal("12.00"))
    assert Order.objects.filter(email="late@example.com").count() == 0
    assert late.lines.get().promotion_id is None  # the cart now shows the list price it will charge


def test_editing_a_flash_deal_past_20_minutes_is_a_form_error_not_a_database_error():
    product = lipstick()
    page = _live_session_with(product)
    promotion = start_flash_deal(page, deal=flash(product.variants.get())).promotion
    promotion.ends_at = promotion.starts_at + timedelta(minutes=30)

    with pytest.raises(ValidationError) as error:
        promotion.clean()

    assert error.value.message_dict == {"ends_at": ["A flash deal runs between 10 seconds and 20 minutes."]}
