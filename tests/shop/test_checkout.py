"""Checkout: reservations, the dummy gateway, expiry, limits, shipping and the buyer's order view."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.api_edge import domain_error_status
from shop.attribution import Attribution
from shop.errors import DomainError
from shop.models import (
    CartLine,
    Order,
    OrderEvent,
    OrderStatus,
    Payment,
    PaymentStatus,
    StockReservation,
)
from shop.models.orders import new_order_number
from shop.services.checkout import confirm_payment
from shop.services.expiry import release_expired_reservations
from shop.services.reservations import available_quantities
from shop.tasks import release_expired_reservations_task
from tests.shop.helpers import US_ADDRESS, cart_with, checkout, on_hand, variant_with_stock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(shop_settings):
    return shop_settings


def test_starting_checkout_reserves_stock_for_fifteen_minutes():
    variant = variant_with_stock("HP-1", price="20.00", on_hand=5)
    cart = cart_with(("HP-1", 2), attribution=Attribution(creator_id=4, page_id=8, block_id="b1", click_id=9))
    before = timezone.now()

    result = checkout(cart)

    order = result.order
    reservation = StockReservation.objects.get()
    assert (order.status, order.subtotal, order.shipping_total, order.total, order.currency) == (
        OrderStatus.PENDING, Decimal("40.00"), Decimal("5.00"), Decimal("45.00"), "USD")
    assert (reservation.variant_id, reservation.order_id, reservation.quantity) == (variant.pk, order.pk, 2)
    assert before + timedelta(minutes=15) <= reservation.expires_at <= timezone.now() + timedelta(minutes=15)
    assert available_quantities([variant.pk]) == {variant.pk: 3}
    assert on_hand("HP-1") == 5
    line = order.lines.get()
    assert (line.sku, line.unit_price, line.quantity, line.line_total, line.creator_id, line.page_id, line.block_id,
            line.click_id) == ("HP-1", Decimal("20.00"), 2, Decimal("40.00"), 4, 8, "b1", 9)
    assert line.attributed_at == CartLine.objects.get(cart=cart).attributed_at
    assert (result.payment.gateway, result.payment.status, result.payment.amount) == (
        "dummy", PaymentStatus.PENDING, Decimal("45.00"))
    assert list(order.events.values_list("type", flat=True)) == ["placed", "payment_created"]


def test_the_dummy_gateway_pays_at_once_and_takes_the_stock():
    variant_with_stock("HP-1", price="20.00", on_hand=5)
    cart = cart_with(("HP-1", 2))
    order = checkout(cart).order

    paid = confirm_payment(order)

    assert paid.status == OrderStatus.PAID
    assert paid.paid_at is not None
    assert on_hand("HP-1") == 3
    assert StockReservation.objects.count() == 0
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert CartLine.objects.filter(cart=cart).count() == 0
    assert list(paid.events.values_list("type", "status_before", "status_after")) == [
        ("placed", "", "pending"), ("payment_created", "pending", "pending"), ("paid", "pending", "paid")]


def test_a_paid_order_keeps_its_lines_and_a_further_filter_on_them_reads_only_its_own(django_assert_num_queries):
    """The payment keeps the order's lines on it (no second read for the answer); a further filter still asks the
    database, for this order's lines only: another order of the same SKUs is never among them."""
    variant_with_stock("HP-1", price="20.00", on_hand=9)
    variant_with_stock("HP-2", price="30.00", on_hand=9)
    earlier = checkout(cart_with(("HP-1", 1), ("HP-2", 1))).order
    confirm_payment(earlier)
    order = checkout(cart_with(("HP-1", 2), ("HP-2", 1))).order

    paid = confirm_payment(order)

    with django_assert_num_queries(0):
        kept = [(line.sku, line.quantity, line.order is paid) for line in paid.lines.all()]
    assert kept == [("HP-1", 2, True), ("HP-2", 1, True)]
    with django_assert_num_queries(0):
        counted, present = paid.lines.count(), paid.lines.exists()
    assert (counted, present) == (2, True)
    with django_assert_num_queries(1):
        filtered = [(line.order_id, line.sku, line.quantity) for line in paid.lines.filter(sku="HP-1")]
    assert filtered == [(order.pk, "HP-1", 2)]
    with django_assert_num_queries(1):
        skus = sorted(paid.lines.values_list("sku", flat=True))
    assert skus == ["HP-1", "HP-2"]  # this order's two lines, not the earlier order's


def test_available_stock_is_on_hand_minus_active_reservations_and_expired_ones_stop_counting_at_once():
    variant = variant_with_stock("HP-1", on_hand=5)
    checkout(cart_with(("HP-1", 3)))
    assert available_quantities([variant.pk]) == {variant.pk: 2}

    later = timezone.now() + timedelta(minutes=15, seconds=1)

    assert available_quantities([variant.pk], now=later) == {variant.pk: 5}
    assert StockReservation.objects.count() == 1  # not cleaned up yet, but no longer counted


def test_nobody_can_reserve_more_than_is_available():
    variant_with_stock("HP-1", on_hand=3)
    checkout(cart_with(("HP-1", 2)))
    second_cart = cart_with(("HP-1", 1))
    CartLine.objects.filter(cart=second_cart).update(quantity=2)

    with pytest.raises(DomainError) as error:
        checkout(second_cart, email="bob@example.com")

    assert (error.value.code, domain_error_status(error.value), error.value.message) == (
        "insufficient_stock", 409, "Only 1 of HP-1 available.")
    assert Order.objects.count() == 1
    assert StockReservation.objects.count() == 1


def test_paying_after_the_reservation_expired_is_refused_and_changes_nothing():
    variant_with_stock("HP-1", on_hand=5)
    order = checkout(cart_with(("HP-1", 1))).order

    with pytest.raises(DomainError) as error:
        confirm_payment(order, now=timezone.now() + timedelta(minutes=16))

    assert (error.value.code, domain_error_status(error.value)) == ("reservation_expired", 409)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert on_hand("HP-1") == 5
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_the_background_task_cancels_expired_orders_and_drops_their_reservations(
    django_capture_on_commit_callbacks,
):
    variant_with_stock("HP-1", on_hand=5)
    expired = checkout(cart_with(("HP-1", 1))).order
    fresh = checkout(cart_with(("HP-1", 2)), email="bob@example.com").order
    Order.objects.filter(pk=expired.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    StockReservation.objects.filter(order=expired).update(expires_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        result = release_expired_reservations_task.enqueue()

    assert result.return_value == 1
    expired.refresh_from_db()
    fresh.refresh_from_db()
    assert (expired.status, fresh.status) == (OrderStatus.CANCELLED, OrderStatus.PENDING)
    assert list(StockReservation.objects.values_list("order_id", "quantity")) == [(fresh.pk, 2)]
    assert Payment.objects.get(order=expired).status == PaymentStatus.CANCELLED
    assert expired.events.last().type == "expired"
    assert release_expired_reservations() == 0


def test_restarting_checkout_replaces_the_pending_order():
    variant = variant_with_stock("HP-1", on_hand=3)
    cart = cart_with(("HP-1", 3))
    first = checkout(cart).order

    second = checkout(cart).order

    first.refresh_from_db()
    assert (first.status, second.status) == (OrderStatus.CANCELLED, OrderStatus.PENDING)
    assert list(StockReservation.objects.values_list("order_id", "quantity")) == [(second.pk, 3)]
    assert available_quantities([variant.pk]) == {variant.pk: 0}


def test_a_buyer_may_not_buy_more_than_the_limit_across_orders(shop_settings):
    shop_settings.KOLSHOP_MAX_QUANTITY_PER_VARIANT = 3
    variant_with_stock("HP-1", on_hand=20)
    confirm_payment(checkout(cart_with(("HP-1", 2)), email="ada@example.com").order)

    with pytest.raises(DomainError) as error:
        checkout(cart_with(("HP-1", 2)), email="ADA@example.com")

    assert (error.value.code, error.value.message) == ("quantity_limit", "You can buy at most 3 of HP-1.")
    assert Order.objects.count() == 1
    assert checkout(cart_with(("HP-1", 1)), email="ada@example.com").order.status == OrderStatus.PENDING


def test_shipping_is_a_flat_rate_per_country_and_unknown_countries_are_refused():
    variant_with_stock("HP-1", price="10.00")
    germany = US_ADDRESS.__class__(**{**US_ADDRESS.__dict__, "country": "de"})
    order = checkout(cart_with(("HP-1", 1)), address=germany).order
    assert (order.shipping_country, order.shipping_total, order.total) == ("DE", Decimal("7.50"), Decimal("17.50"))

    japan = US_ADDRESS.__class__(**{**US_ADDRESS.__dict__, "country": "JP"})
    with pytest.raises(DomainError) as error:
        checkout(cart_with(("HP-1", 1)), email="bob@example.com", address=japan)
    assert (error.value.code, error.value.field) == ("shipping_unavailable", "address.country")


def test_pickup_orders_pay_no_shipping_and_store_no_address():
    variant_with_stock("HP-1", price="10.00")

    order = checkout(cart_with(("HP-1", 1)), fulfilment="pickup").order

    assert (order.fulfilment_method, order.shipping_total, order.total, order.shipping_line1) == (
        "pickup", Decimal("0.00"), Decimal("10.00"), "")
    assert len(order.pickup_code_hash) == 64


def test_pickup_can_be_switched_off(shop_settings):
    shop_settings.KOLSHOP_PICKUP_ENABLED = False
    variant_with_stock("HP-1")

    with pytest.raises(DomainError) as error:
        checkout(cart_with(("HP-1", 1)), fulfilment="pickup")

    assert (error.value.code, error.value.field) == ("pickup_unavailable", "fulfilment")


def test_order_numbers_are_random_and_unrelated():
    variant_with_stock("HP-1", on_hand=10)
    numbers = {checkout(cart_with(("HP-1", 1)), email=f"b{n}@example.com").order.number for n in range(5)}

    assert len(numbers) == 5
    assert all(number.startswith("KS-") and len(number) == 15 for number in numbers)


@pytest.mark.parametrize(("bits", "number"), [(0, "KS-000000000000"), (2**60 - 1, "KS-ZZZZZZZZZZZZ"),
                                              (1, "KS-000000000001"), (31 << 55, "KS-Z00000000000"),
                                              (0x0123456789ABCDE, "KS-04HMASW9NF6Y")])
def test_an_order_number_is_its_60_random_bits_in_crockford_base32(monkeypatch, bits, number):
    """One draw of 60 bits, 12 digits of 5 bits, most significant first, from an alphabet without I, L, O, U."""
    drawn = []
    monkeypatch.setattr("shop.models.orders.secrets.randbits", lambda count: drawn.append(count) or bits)

    assert new_order_number() == number
    assert drawn == [60]


def test_paying_for_stock_that_ran_out_after_the_hold_expired_cancels_and_refunds(
    django_capture_on_commit_callbacks,
):
    variant_with_stock("HP-1", price="10.00", on_hand=1)
    late = checkout(cart_with(("HP-1", 1))).order
    StockReservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    Order.objects.filter(pk=late.pk).update(reserved_until=timezone.now() + timedelta(minutes=1))
    confirm_payment(checkout(cart_with(("HP-1", 1)), email="bob@example.com").order)

    with django_capture_on_commit_callbacks(execute=True):
        result = confirm_payment(late)

    assert result.status == OrderStatus.CANCELLED
    assert on_hand("HP-1") == 0
    payment = Payment.objects.get(order=late)
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.SUCCEEDED, Decimal("15.00"))
    assert list(OrderEvent.objects.filter(order=late).values_list("type", flat=True)) == [
        "placed", "payment_created", "stock_shortfall", "refund_requested"]
