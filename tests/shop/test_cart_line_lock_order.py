"""Real threads against PostgreSQL: a restarted checkout that finds a deal over (409 ``price_changed``, its lines
lose the deal) and the payment of the cart's earlier order (which deletes the lines it bought) lock the cart's
lines in one order, the cart's row first, so neither is aborted as a deadlock."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from shop.errors import DomainError
from shop.models import Cart, CartLine, OrderStatus, Payment, Promotion
from shop.services.cart import add_to_cart, set_line_quantity
from shop.services.payments import complete_checkout
from tests.factories import make_deal
from tests.shop.conftest import skip_unless_postgres
from tests.shop.helpers import checkout, on_hand, variant_with_stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(shop_settings):
    skip_unless_postgres()


def _waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def _wait_until_waiting(count: int) -> None:
    deadline = time.monotonic() + 20
    while _waiting_for_locks() < count:
        assert time.monotonic() < deadline, f"fewer than {count} sessions waiting for a lock"
        time.sleep(0.02)


class _Thread(threading.Thread):
    """Runs ``function`` on a connection of its own; keeps its answer or its exception."""

    def __init__(self, function):
        super().__init__(daemon=True)
        self.function, self.outcome = function, None

    def run(self):
        try:
            self.outcome = self.function()
        except DomainError as error:
            self.outcome = error.code
        except Exception as error:  # noqa: BLE001 - a deadlock abort is the outcome under test
            self.outcome = error
        finally:
            connection.close()


def test_a_restarted_checkout_s_price_change_and_the_earlier_order_s_payment_lock_the_lines_in_one_order():
    # Given a cart of two deal lines checked out once (order 1 holds the deal price), then the deal ended.
    variants = [variant_with_stock(sku, price="20.00", on_hand=10) for sku in ("DL-1", "DL-2")]
    deals = [make_deal(variant, price="15.00") for variant in variants]
    cart = Cart.objects.create()
    for variant, deal in zip(variants, deals):
        add_to_cart(cart, sku=variant.sku, quantity=2, promotion_id=deal.pk)
    first = checkout(cart, email="ada@example.com").order
    intent_id = Payment.objects.get(order=first).intent_id
    # The buyer changed the first line's quantity since: its row's new version lies after the second line's in
    # the table, while the cart's index still leads to it first. A scan of the table (the reset's plan) meets
    # the lines in the other order than the cart's index (the payment's plan) does.
    set_line_quantity(cart, sku="DL-1", quantity=3)
    Promotion.objects.filter(pk__in=[deal.pk for deal in deals]).update(ends_at=timezone.now() - timedelta(minutes=1))
    higher = CartLine.objects.filter(cart=cart).order_by("pk").last()
    # When the restarted checkout's reset and the payment both reach the lines while one is held elsewhere
    # (so each has done what it does before the lines, and then they meet there), and the holder lets go.
    restart = _Thread(lambda: checkout(cart, email="ada@example.com").order.status)
    pay = _Thread(lambda: complete_checkout(intent_id).status)
    with transaction.atomic():
        CartLine.objects.select_for_update().get(pk=higher.pk)
        restart.start()
        _wait_until_waiting(1)
        pay.start()
        _wait_until_waiting(2)
    restart.join(30)
    pay.join(30)

    # Then neither was aborted: the reset waited for the payment's cart lock (or the payment for the reset's).
    assert (restart.outcome, pay.outcome) == ("price_changed", OrderStatus.PAID)
    first.refresh_from_db()
    assert first.status == OrderStatus.PAID
    assert list(CartLine.objects.filter(cart=cart)) == []  # the paid order's lines left the cart
    assert [on_hand(variant.sku) for variant in variants] == [8, 8]
