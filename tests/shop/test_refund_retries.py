"""A failed automatic refund is kept, retried in the background with the same idempotency key, and
staff can send it from the order's refund page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from shop.models import Order, OrderStatus, Payment, Refund, RefundStatus
from shop.tasks import retry_refund_task
from tests.factories import logged_in, make_brand_user, make_editor
from tests.shop.helpers import post_webhook, signed_event, variant_with_stock

pytestmark = pytest.mark.django_db

CHECKOUT = {"email": "ada@example.com", "fulfilment": "shipping",
            "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
                        "country": "US"}}


def _retries(backend) -> list:
    return [result for result in backend.results if result.task.name == "retry_refund_task"]


def _pay(order_number: str, event_id: str):
    obj = {"id": f"pi_{order_number}", "object": "payment_intent", "amount": 3500, "currency": "usd"}
    return post_webhook(*signed_event("payment_intent.succeeded", obj, event_id=event_id))


@pytest.fixture
def owed_order(api, fake_stripe, deferred_tasks, django_capture_on_commit_callbacks):
    """Order 1 replaced by a restarted checkout, order 2 paid, then order 1 paid late while Stripe is
    down: 35.00 taken without an order to keep, and its automatic refund failed."""
    variant_with_stock("HP-1", price="15.00", on_hand=5)
    token = api.post("/carts/").json()["token"]
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2})
    first = api.post(f"/carts/{token}/checkout", CHECKOUT).json()["order"]["number"]
    second = api.post(f"/carts/{token}/checkout", CHECKOUT).json()["order"]["number"]
    with django_capture_on_commit_callbacks(execute=True):
        _pay(second, "evt_2")
    fake_stripe.calls.clear()
    fake_stripe.down = True
    with django_capture_on_commit_callbacks(execute=True):
        _pay(first, "evt_1")
    return Order.objects.get(number=first)


def test_a_failed_automatic_refund_is_recorded_and_a_retry_is_queued(owed_order, fake_stripe, deferred_tasks):
    refund = Refund.objects.get()

    assert (refund.order, refund.amount, refund.status, refund.automatic, refund.attempts) == (
        owed_order, Decimal("35.00"), RefundStatus.FAILED, True, 1)
    assert list(owed_order.events.values_list("type", "data"))[-2:] == [
        ("refund_requested", {"refund_id": refund.pk, "amount": "35.00", "reason": "duplicate payment"}),
        ("refund_failed", {"refund_id": refund.pk, "message": "The payment service is unavailable; try again."}),
    ]
    [queued] = _retries(deferred_tasks)
    assert (queued.task.name, queued.args) == ("retry_refund_task", [refund.pk])
    assert timedelta(seconds=55) < queued.task.run_after - timezone.now() <= timedelta(minutes=1)
    assert fake_stripe.calls == [("refund", f"kolshop-refund-{refund.pk}")]


def test_the_retry_refunds_exactly_once_with_the_same_idempotency_key(owed_order, fake_stripe, deferred_tasks):
    refund = Refund.objects.get()
    deferred_tasks.clear()
    fake_stripe.down = False

    first = retry_refund_task.call(refund.pk)
    second = retry_refund_task.call(refund.pk)
    refunded = post_webhook(*signed_event("charge.refunded", {
        "id": "ch_1", "object": "charge", "payment_intent": f"pi_{owed_order.number}", "amount": 3500,
        "amount_refunded": 3500, "currency": "usd"}, event_id="evt_3"))

    refund.refresh_from_db()
    payment = Payment.objects.get(intent_id=f"pi_{owed_order.number}")
    assert (first, second) == ("sent", "nothing to do")
    assert fake_stripe.calls == [("refund", f"kolshop-refund-{refund.pk}")] * 2
    assert list(fake_stripe.refunds) == [f"kolshop-refund-{refund.pk}"]
    assert refunded.json()["result"] == "processed"
    assert (refund.status, refund.attempts, refund.gateway_refund_id) == (RefundStatus.SUCCEEDED, 2, "re_1")
    assert payment.amount_refunded == Decimal("35.00")
    assert Order.objects.get(pk=owed_order.pk).status == OrderStatus.CANCELLED
    assert _retries(deferred_tasks) == []


def test_retries_back_off_and_stop_after_five_attempts(owed_order, fake_stripe, deferred_tasks):
    refund = Refund.objects.get()
    outcomes, delays = [], []
    for _ in range(5):
        deferred_tasks.clear()
        outcomes.append(retry_refund_task.call(refund.pk))
        delays.append([round((result.task.run_after - timezone.now()).total_seconds() / 60)
                       for result in _retries(deferred_tasks)])

    refund.refresh_from_db()
    assert outcomes == ["retry scheduled", "retry scheduled", "retry scheduled", "gave up", "gave up"]
    assert delays == [[4], [16], [64], [], []]
    assert (refund.status, refund.attempts) == (RefundStatus.FAILED, 5)
    assert len(fake_stripe.calls) == 5


@pytest.fixture
def staff():
    return make_editor("editor")


def test_staff_find_and_refund_an_order_whose_automatic_refund_failed(owed_order, fake_stripe, staff):
    refund = Refund.objects.get()
    fake_stripe.down = False
    client = logged_in(staff)

    listing = client.get("/admin/shop/order/?refund=failed")
    page = client.get(f"/admin/shop/orders/{owed_order.pk}/refund/")
    response = client.post(f"/admin/shop/orders/{owed_order.pk}/refund/", {"retry_refund": str(refund.pk)})
    again = client.post(f"/admin/shop/orders/{owed_order.pk}/refund/", {"retry_refund": str(refund.pk)})

    refund.refresh_from_db()
    assert owed_order.number in listing.content.decode()
    assert Order.objects.exclude(pk=owed_order.pk).get().number not in listing.content.decode()
    assert "Automatic refund failed" in page.content.decode()
    assert f'name="retry_refund" value="{refund.pk}"' in page.content.decode()
    assert (response.status_code, response["Location"]) == (302, f"/admin/shop/orders/{owed_order.pk}/refund/")
    assert again.status_code == 302
    assert (refund.status, refund.attempts) == (RefundStatus.PENDING, 2)
    assert fake_stripe.calls == [("refund", f"kolshop-refund-{refund.pk}")] * 2
    assert list(fake_stripe.refunds) == [f"kolshop-refund-{refund.pk}"]
    assert owed_order.events.filter(type="refund_retried", actor=staff).count() == 1


def test_a_brand_user_cannot_retry_a_failed_refund(owed_order, fake_stripe):
    brand_user = make_brand_user("brandrep")
    refund = Refund.objects.get()
    fake_stripe.down = False

    response = logged_in(brand_user).post(f"/admin/shop/orders/{owed_order.pk}/refund/",
                                           {"retry_refund": str(refund.pk)})
    anonymous = Client().post(f"/admin/shop/orders/{owed_order.pk}/refund/", {"retry_refund": str(refund.pk)})

    refund.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, "/admin/")  # Wagtail's "permission denied"
    assert (anonymous.status_code, anonymous["Location"].split("?")[0]) == (302, "/admin/login/")
    assert (refund.status, refund.attempts) == (RefundStatus.FAILED, 1)
    assert len(fake_stripe.calls) == 1


def test_the_cron_command_retries_failed_automatic_refunds_without_a_task_worker(owed_order, fake_stripe, capsys):
    refund = Refund.objects.get()
    fake_stripe.down = False

    call_command("retry_failed_refunds")
    call_command("retry_failed_refunds")

    refund.refresh_from_db()
    assert capsys.readouterr().out == "Failed automatic refunds: 1 sent.\nFailed automatic refunds: nothing to retry.\n"
    assert (refund.status, refund.attempts) == (RefundStatus.PENDING, 2)
    assert list(fake_stripe.refunds) == [f"kolshop-refund-{refund.pk}"]
