"""Vouchers: percentage or fixed, validity window, total and per-buyer limits, creator attribution."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.api_edge import domain_error_status
from shop.attribution import Attribution
from shop.errors import DomainError
from shop.models import OrderStatus, Voucher
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalog(shop_settings):
    variant_with_stock("A-1", price="30.00", on_hand=20)
    variant_with_stock("B-1", price="10.00", on_hand=20)


def test_a_percentage_voucher_discounts_the_goods_not_the_shipping():
    Voucher.objects.create(code="save10", kind="percentage", value=Decimal("10"))

    order = checkout(cart_with(("A-1", 1), ("B-1", 1)), voucher_code="Save10").order

    assert (order.voucher_code, order.subtotal, order.discount_total, order.shipping_total, order.total) == (
        "SAVE10", Decimal("40.00"), Decimal("4.00"), Decimal("5.00"), Decimal("41.00"))
    assert [(line.sku, line.discount_amount, line.line_total) for line in order.lines.all()] == [
        ("A-1", Decimal("3.00"), Decimal("27.00")), ("B-1", Decimal("1.00"), Decimal("9.00"))]


def test_a_fixed_voucher_never_makes_the_goods_negative():
    Voucher.objects.create(code="BIG", kind="fixed", value=Decimal("100.00"), currency="USD")

    order = checkout(cart_with(("B-1", 1)), fulfilment="pickup", voucher_code="big").order

    assert (order.discount_total, order.total, order.status) == (Decimal("10.00"), Decimal("0.00"), OrderStatus.PAID)


@pytest.mark.parametrize(("window", "code"), [
    ({"valid_from": timezone.now() + timedelta(days=1)}, "voucher_not_started"),
    ({"valid_until": timezone.now() - timedelta(seconds=1)}, "voucher_expired"),
])
def test_a_voucher_outside_its_window_is_refused(window, code):
    Voucher.objects.create(code="WINDOW", kind="percentage", value=Decimal("5"), **window)

    with pytest.raises(DomainError) as error:
        checkout(cart_with(("A-1", 1)), voucher_code="WINDOW")

    assert (error.value.code, error.value.field, domain_error_status(error.value)) == (code, "voucher_code", 400)


def test_unknown_and_inactive_codes_are_refused():
    Voucher.objects.create(code="OFF", kind="percentage", value=Decimal("5"), active=False)

    for code in ("NOPE", "OFF"):
        with pytest.raises(DomainError) as error:
            checkout(cart_with(("A-1", 1)), voucher_code=code)
        assert error.value.code == "unknown_voucher"


def test_the_total_usage_limit_counts_pending_and_paid_orders_but_not_cancelled_ones():
    Voucher.objects.create(code="TWO", kind="percentage", value=Decimal("5"), usage_limit=2)
    confirm_payment(checkout(cart_with(("A-1", 1)), email="a@example.com", voucher_code="TWO").order)
    cart = cart_with(("A-1", 1))
    checkout(cart, email="b@example.com", voucher_code="TWO")
    checkout(cart, email="b@example.com", voucher_code="TWO")  # restarting replaces the pending order

    with pytest.raises(DomainError) as error:
        checkout(cart_with(("A-1", 1)), email="c@example.com", voucher_code="TWO")

    assert error.value.code == "voucher_used_up"


def test_the_per_buyer_limit_is_per_email():
    Voucher.objects.create(code="ONCE", kind="percentage", value=Decimal("5"), per_buyer_limit=1)
    confirm_payment(checkout(cart_with(("A-1", 1)), email="a@example.com", voucher_code="ONCE").order)

    with pytest.raises(DomainError) as error:
        checkout(cart_with(("A-1", 1)), email="A@example.com", voucher_code="ONCE")

    assert error.value.code == "voucher_buyer_limit"
    assert checkout(cart_with(("A-1", 1)), email="b@example.com", voucher_code="ONCE").order.discount_total == Decimal(
        "1.50")


def test_the_order_keeps_the_voucher_creator_and_each_lines_own_buy_link_as_raw_facts():
    Voucher.objects.create(code="MAYA", kind="percentage", value=Decimal("10"), creator_id=7)
    cart = cart_with(("A-1", 1), attribution=Attribution(creator_id=3, page_id=11, block_id="b"))
    add_to_cart(cart, sku="B-1", quantity=1)  # added without a buy link

    order = checkout(cart, voucher_code="maya").order

    # Who sold each line is decided by creators (voucher over link): tests/creators/test_attribution_checkout.py.
    assert order.voucher_creator_id == 7
    assert [(line.sku, line.creator_id, line.page_id, line.block_id) for line in order.lines.all()] == [
        ("A-1", 3, 11, "b"), ("B-1", None, None, "")]

