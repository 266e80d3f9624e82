"""Real threads against PostgreSQL: checkout writes its payment and the ``payment_created`` event in one statement
(``record_event_at_current_status(saving=…)``), reading the order's status there under a share lock. Another
transaction changing the order's status while the payment is being written is waited for, so the event says what it
left and an intent opened on an order closed meanwhile is cancelled (a read of the statement's snapshot would say
"pending" and leave the intent open)."""

import threading
import time

import pytest
from django.db import connection, transaction

from shop.models import Order, OrderEvent, OrderStatus, Payment, PaymentStatus
from tests.shop.conftest import skip_unless_postgres
from tests.shop.helpers import FakeStripeGateway, cart_with, checkout, variant_with_stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(shop_settings, wagtail_base_data):
    skip_unless_postgres()


def _someone_waits_for_a_lock(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT COUNT(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


class _ClosesTheOrderWhileTheIntentOpens(FakeStripeGateway):
    """Opening the intent starts another transaction that cancels the order and commits only once the checkout's
    statement waits for it (or after 3 s, when nothing waits)."""

    def __init__(self):
        super().__init__()
        self.closing, self.waited = None, None

    def create_intent(self, **kwargs):
        reference, changed = kwargs["reference"], threading.Event()

        def close() -> None:
            try:
                with transaction.atomic():
                    Order.objects.filter(number=reference).update(status=OrderStatus.CANCELLED)
                    changed.set()
                    self.waited = _someone_waits_for_a_lock(3)
            finally:
                connection.close()

        self.closing = threading.Thread(target=close, daemon=True)
        self.closing.start()
        assert changed.wait(10)
        return super().create_intent(**kwargs)


def test_a_payment_written_while_another_transaction_cancels_its_order_waits_and_is_cancelled(monkeypatch):
    variant_with_stock("PE-1", price="20.00", on_hand=5)
    gateway = _ClosesTheOrderWhileTheIntentOpens()
    monkeypatch.setattr("shop.services.payments.get_gateway", lambda name=None: gateway)

    result = checkout(cart_with(("PE-1", 1)), gateway=gateway)
    gateway.closing.join(10)

    assert gateway.waited is True  # the checkout's statement waited for the cancelling transaction
    event = OrderEvent.objects.get(order=result.order, type="payment_created")
    assert (event.status_before, event.status_after) == ("cancelled", "cancelled")
    assert Payment.objects.get(order=result.order).status == PaymentStatus.CANCELLED
    assert ("cancel_intent", f"kolshop-cancel-{result.payment.intent_id}") in gateway.calls
