"""A buyer's e-mail, name, address and phone never reach logs, task payloads, Stripe or error reports."""

import json

import pytest
import sentry_sdk
import stripe
from sentry_sdk.transport import Transport

from operations.error_reports import sentry_options
from shop.models import Order, OrderStatus, Payment
from shop.services.refunds import refund_order
from tests.privacy.helpers import ADA
from tests.shop.helpers import intent_object, post_webhook, signed_event, variant_with_stock

pytestmark = pytest.mark.django_db

ADDRESS = {"name": ADA.name, "line1": ADA.line1, "line2": ADA.line2, "city": ADA.city,
           "postal_code": ADA.postal_code, "country": "GB"}


def leaks(text: str) -> list[str]:
    return [name for name, value in ADA.traces().items() if value.lower() in text.lower()]


def run_tasks(backend) -> list[str]:
    """Run what was enqueued (as a worker would) and return each task's stored payload."""
    payloads = []
    while backend.results:
        result = backend.results.pop(0)
        payloads.append(json.dumps({"task": result.task.module_path, "args": result.args, "kwargs": result.kwargs}))
        result.task.call(*result.args, **result.kwargs)
    return payloads


def test_checkout_payment_refund_and_emails_leak_nothing(api, stripe_settings, deferred_tasks, caplog, capsys,
                                                         mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.KOLSHOP_SHIPPING_RATES = "GB:6.00"
    variant_with_stock("MIN-1", price="15.00", on_hand=4)
    sdk = stripe.StripeClient("sk_test_kolshop", base_addresses={"api": stripe_settings.STRIPE_API_BASE},
                              max_network_retries=0)
    token = api.post("/carts/").json()["token"]
    api.post(f"/carts/{token}/lines", {"sku": "MIN-1", "quantity": 2})
    with django_capture_on_commit_callbacks(execute=True):
        placed = api.post(f"/carts/{token}/checkout", {"email": ADA.email, "fulfilment": "shipping",
                                                        "address": ADDRESS})
    assert placed.status_code == 201, placed.content
    payment = Payment.objects.get()
    method = sdk.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    sdk.v1.payment_intents.update(payment.intent_id, params={"payment_method": method.id})
    sdk.v1.payment_intents.confirm(payment.intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(*signed_event("payment_intent.succeeded", intent_object(payment.intent_id, amount=3600,
                                                                              currency="usd"),
                                   event_id="evt_min_1"))
    payloads = run_tasks(deferred_tasks)
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order, quantities={order.lines.get().pk: 1})
    payloads += run_tasks(deferred_tasks)

    intent = json.dumps(sdk.v1.payment_intents.retrieve(payment.intent_id).to_dict())
    refunds = json.dumps([refund.to_dict() for refund in sdk.v1.refunds.list(
        params={"payment_intent": payment.intent_id}).data])
    logged = capsys.readouterr().err + "\n".join(str(record.msg) for record in caplog.records)

    assert [mail.to for mail in mailoutbox] == [[ADA.email]]  # the confirmation does reach her
    assert any("send_order_email_task" in payload for payload in payloads)
    assert order.refunds.count() == 1
    assert {"logs": leaks(logged), "task payloads": leaks("".join(payloads)), "stripe intent": leaks(intent),
            "stripe refunds": leaks(refunds)} == {
        "logs": [], "task payloads": [], "stripe intent": [], "stripe refunds": []}


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope.serialize().decode(errors="replace"))


def test_an_error_report_holds_no_buyer_data():
    transport = CapturingTransport()
    sentry_sdk.init(**sentry_options(dsn="https://key@sentry.invalid/1", environment="test"), transport=transport)
    try:
        def place(email: str, address: dict) -> None:
            raise RuntimeError("the payment provider is unreachable")

        try:
            place(ADA.email, ADDRESS)
        except RuntimeError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.init()  # no DSN: reporting off again

    assert len(transport.envelopes) == 1
    assert "the payment provider is unreachable" in transport.envelopes[0]
    assert leaks(transport.envelopes[0]) == []
