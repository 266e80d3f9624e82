"""Real threads against PostgreSQL: no overselling, no deadlocks, one paid order per payment."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from shop.errors import DomainError
from shop.models import (
    Order,
    OrderEvent,
    OrderStatus,
    Payment,
    PaymentStatus,
    ProcessedWebhookEvent,
    StockReservation,
)
from shop.services.checkout import confirm_payment, start_checkout
from tests.shop.conftest import skip_unless_postgres
from tests.shop.helpers import (
    US_ADDRESS,
    FakeStripeGateway,
    cart_with,
    intent_object,
    on_hand,
    signed_event,
    variant_with_stock,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(shop_settings):
    skip_unless_postgres()


def _run_in_threads(functions, *, workers: int):
    """Start every function at the same moment; each thread closes its own connection."""
    barrier = threading.Barrier(min(workers, len(functions)))

    def run(function):
        try:
            try:
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, functions))


def _buy(cart, email):
    def attempt():
        try:
            order = start_checkout(cart, email=email, fulfilment="shipping", address=US_ADDRESS).order
            return confirm_payment(order).status
        except DomainError as error:
            return error.code
    return attempt


def test_fifty_buyers_racing_for_ten_units_buy_exactly_ten():
    variant_with_stock("HOT-1", price="99.00", on_hand=10)
    carts = [cart_with(("HOT-1", 1)) for _ in range(50)]

    outcomes = _run_in_threads([_buy(cart, f"buyer{n}@example.com") for n, cart in enumerate(carts)], workers=50)

    assert sorted(outcomes).count(OrderStatus.PAID) == 10
    assert sorted(outcomes).count("insufficient_stock") == 40
    assert on_hand("HOT-1") == 0
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 10
    assert StockReservation.objects.count() == 0


def test_eight_threads_buying_overlapping_baskets_in_opposite_orders_never_deadlock():
    skus = ["A-1", "B-1", "C-1", "D-1"]
    for sku in skus:
        variant_with_stock(sku, price="5.00", on_hand=100)
    carts = [cart_with(*[(sku, 2) for sku in (skus if n % 2 == 0 else list(reversed(skus)))]) for n in range(8)]

    outcomes = _run_in_threads([_buy(cart, f"buyer{n}@example.com") for n, cart in enumerate(carts)], workers=8)

    assert outcomes == [OrderStatus.PAID] * 8
    assert [on_hand(sku) for sku in skus] == [84, 84, 84, 84]


def test_one_webhook_delivered_five_times_out_of_order_from_four_threads_pays_once():
    variant_with_stock("HP-1", price="15.00", on_hand=4)
    order = start_checkout(cart_with(("HP-1", 2)), email="ada@example.com", fulfilment="shipping",
                           address=US_ADDRESS, gateway=FakeStripeGateway()).order
    intent = intent_object(f"pi_{order.number}", amount=3500)
    succeeded = signed_event("payment_intent.succeeded", intent, event_id="evt_ok")
    failed = signed_event("payment_intent.payment_failed", {**intent, "last_payment_error": {"message": "no"}},
                          event_id="evt_fail")
    deliveries = [succeeded, succeeded, failed, succeeded, succeeded]
    random.Random(4).shuffle(deliveries)

    def deliver(payload_and_header):
        def post():
            payload, header = payload_and_header
            return Client().post("/webhooks/stripe/", payload, content_type="application/json",
                                 headers={"Stripe-Signature": header}).status_code
        return post

    statuses = _run_in_threads([deliver(item) for item in deliveries], workers=4)

    order.refresh_from_db()
    assert statuses == [200] * 5
    assert order.status == OrderStatus.PAID
    assert on_hand("HP-1") == 2
    assert OrderEvent.objects.filter(order=order, type="paid").count() == 1
    assert sorted(ProcessedWebhookEvent.objects.values_list("event_id", flat=True)) == ["evt_fail", "evt_ok"]


def test_one_buyer_checking_out_two_carts_at_once_stays_within_the_per_buyer_limit(settings):
    settings.KOLSHOP_MAX_QUANTITY_PER_VARIANT = 3
    variant_with_stock("LIM-1", price="10.00", on_hand=50)
    carts = [cart_with(("LIM-1", 3)) for _ in range(4)]

    outcomes = _run_in_threads([_buy(cart, "same.buyer@example.com") for cart in carts], workers=4)

    assert sorted(outcomes) == sorted([OrderStatus.PAID, "quantity_limit", "quantity_limit", "quantity_limit"])
    assert on_hand("LIM-1") == 47
    assert Order.objects.filter(email="same.buyer@example.com", status=OrderStatus.PAID).count() == 1


def test_a_checkout_restarted_while_the_first_order_s_payment_arrives_leaves_one_paid_order(fake_stripe):
    variant_with_stock("HP-1", price="15.00", on_hand=20)
    carts = [cart_with(("HP-1", 2)) for _ in range(5)]
    firsts = [start_checkout(cart, email=f"buyer{n}@example.com", fulfilment="shipping", address=US_ADDRESS).order
              for n, cart in enumerate(carts)]

    def restart(cart, n):
        def attempt():
            try:
                return start_checkout(cart, email=f"buyer{n}@example.com", fulfilment="shipping",
                                      address=US_ADDRESS).order.status
            except DomainError as error:
                return error.code
        return attempt

    def pay(order, n):
        def post():
            payload, header = signed_event("payment_intent.succeeded",
                                           intent_object(f"pi_{order.number}", amount=3500), event_id=f"evt_{n}")
            return Client().post("/webhooks/stripe/", payload, content_type="application/json",
                                 headers={"Stripe-Signature": header}).status_code
        return post

    work = [job for n, (cart, first) in enumerate(zip(carts, firsts)) for job in (restart(cart, n), pay(first, n))]
    outcomes = _run_in_threads(work, workers=10)

    assert set(outcomes[1::2]) == {200}
    # Pending (restarted first), cancelled (the payment closed the cart while order 2 was opening its
    # intent) or refused (paid first).
    assert set(outcomes[0::2]) <= {OrderStatus.PENDING, OrderStatus.CANCELLED, "cart_checked_out"}
    for cart, first in zip(carts, firsts):
        statuses = sorted(Order.objects.filter(cart=cart).values_list("number", "status"))
        paid = [number for number, status in statuses if status == OrderStatus.PAID]
        assert paid == [first.number]
        assert [status for number, status in statuses if number != first.number] in ([], [OrderStatus.CANCELLED])
    assert not Payment.objects.filter(order__status=OrderStatus.CANCELLED, status=PaymentStatus.PENDING).exists()
    assert on_hand("HP-1") == 10
    assert StockReservation.objects.count() == 0


def test_one_client_checking_out_four_carts_at_once_holds_no_more_than_its_cap(shop_settings):
    from shop.services.client_identity import client_key

    shop_settings.KOLSHOP_MAX_RESERVED_UNITS_PER_CLIENT = 10
    variant_with_stock("CAP-1", price="5.00", on_hand=100)
    carts = [cart_with(("CAP-1", 6)) for _ in range(4)]

    def hold(cart, n):
        def attempt():
            client = client_key(ip="198.51.100.5", now=timezone.now())
            try:
                return start_checkout(cart, email=f"buyer{n}@example.com", fulfilment="shipping",
                                      address=US_ADDRESS, client=client).order.status
            except DomainError as error:
                return error.code
        return attempt

    outcomes = _run_in_threads([hold(cart, n) for n, cart in enumerate(carts)], workers=4)

    assert sorted(outcomes) == [OrderStatus.PENDING] + ["reservation_cap"] * 3
    assert list(StockReservation.objects.values_list("quantity", flat=True)) == [6]
