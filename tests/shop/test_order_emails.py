"""Order e-mails: sent after the commit from a task, once per fact, with a private link that opens the
order in a browser that never saw the checkout."""

import re
import time

import pytest
from django.core import mail, signing
from django.test import Client

from shop.models import OrderNotification
from shop.services.checkout import confirm_payment, start_checkout
from shop.services.notifications import order_link_token
from shop.services.orders import mark_fulfilled, mark_ready_for_pickup, pickup_code_for
from shop.services.refunds import refund_order
from tests.shop.helpers import (
    US_ADDRESS, FakeStripeGateway, cart_with, checkout, intent_object, post_webhook, signed_event, variant_with_stock,
)

pytestmark = pytest.mark.django_db


def _link_path(message) -> str:
    return re.search(r"http://testserver(/orders/open/[^/\s]+/)", message.body).group(1)


@pytest.fixture
def two_line_stock(shop_settings):
    variant_with_stock("HP-1", price="15.00", on_hand=4)
    variant_with_stock("CABLE-1", price="4.50", on_hand=9)


def test_a_paid_shipping_order_mails_lines_totals_address_and_a_private_link(
        two_line_stock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm_payment(checkout(cart_with(("HP-1", 2), ("CABLE-1", 1)), email="ada@example.com").order)

    [message] = mail.outbox
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Your order {order.number} is confirmed"
    assert "2 × HP-1" not in message.body
    assert "2 × " in message.body and "30.00 USD" in message.body and "4.50 USD" in message.body
    assert "Shipping: 5.00 USD" in message.body
    assert "Total: 39.50 USD" in message.body
    assert "Ada Reader\n1 Main St\n12345 Springfield\nUnited States" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "39.50 USD" in html and "United States" in html
    assert message.attachments == []
    assert _link_path(message).startswith("/orders/open/")


def test_a_pickup_confirmation_carries_the_code_and_its_qr_image(shop_settings, django_capture_on_commit_callbacks):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm_payment(checkout(cart_with(("HP-1", 1)), fulfilment="pickup").order)

    [message] = mail.outbox
    code = pickup_code_for(order)
    assert f"show this code in store: {code}" in message.body
    assert "Shipping to" not in message.body
    [(html, _)] = message.alternatives
    assert 'src="cid:pickup-qr"' in html and code in html
    [image] = message.attachments
    assert image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<pickup-qr>"
    assert image.get_payload(decode=True).startswith(b"\x89PNG")


def test_the_link_opens_the_order_in_a_fresh_browser_and_drops_the_token(
        shop_settings, django_capture_on_commit_callbacks):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    with django_capture_on_commit_callbacks(execute=True):
        order = confirm_payment(checkout(cart_with(("HP-1", 1)), fulfilment="pickup").order)
    fresh = Client()
    assert fresh.get(f"/orders/{order.number}/").status_code == 404

    opened = fresh.get(_link_path(mail.outbox[0]))

    assert opened.status_code == 302 and opened["Location"] == f"/orders/{order.number}/"
    page = fresh.get(opened["Location"])
    assert page.status_code == 200
    assert pickup_code_for(order) in page.content.decode()
    assert fresh.get(f"/orders/{order.number}/pickup-qr.png").status_code == 200


def test_a_forged_altered_or_expired_link_opens_nothing(shop_settings, settings):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    order = confirm_payment(checkout(cart_with(("HP-1", 1))).order)
    other = confirm_payment(checkout(cart_with(("HP-1", 1)), email="bo@example.com").order)
    token = order_link_token(order)
    forged = signing.dumps({"n": other.number, "f": "0" * 16}, salt="kolshop.order-link")
    wrong_salt = signing.dumps({"n": other.number}, salt="elsewhere")

    for bad in (token[:-2] + "xx", forged, wrong_salt, "KS-" + other.number):
        assert Client().get(f"/orders/open/{bad}/").status_code == 404

    settings.KOLSHOP_ORDER_LINK_MAX_AGE_DAYS = 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: 1_000_000_000.0)
        old = order_link_token(order)
    assert Client().get(f"/orders/open/{old}/").status_code == 404
    assert Client().get(f"/orders/open/{token}/").status_code == 302


def test_nothing_is_mailed_before_the_commit_or_when_it_rolls_back(shop_settings, django_capture_on_commit_callbacks):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        confirm_payment(checkout(cart_with(("HP-1", 1))).order)
        assert mail.outbox == []
    assert len(callbacks) >= 1 and mail.outbox == []


def test_a_duplicate_webhook_mails_the_confirmation_once(shop_settings, django_capture_on_commit_callbacks):
    variant_with_stock("HP-1", price="15.00", on_hand=4)
    order = start_checkout(cart_with(("HP-1", 2)), email="ada@example.com", fulfilment="shipping",
                           address=US_ADDRESS, gateway=FakeStripeGateway()).order
    intent = intent_object(f"pi_{order.number}", amount=3500)

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(*signed_event("payment_intent.succeeded", intent, event_id="evt_1"))
        post_webhook(*signed_event("payment_intent.succeeded", intent, event_id="evt_1"))
        post_webhook(*signed_event("payment_intent.succeeded", intent, event_id="evt_2"))

    assert [message.subject for message in mail.outbox] == [f"Your order {order.number} is confirmed"]
    assert list(OrderNotification.objects.values_list("kind", "reference")) == [("confirmation", "")]


def test_a_retried_task_sends_once(shop_settings):
    from shop.tasks import send_order_email_task

    variant_with_stock("HP-1", price="10.00", on_hand=3)
    order = confirm_payment(checkout(cart_with(("HP-1", 1))).order)

    results = [send_order_email_task.enqueue(order.pk, "confirmation", "").return_value for _ in range(2)]

    assert results == [True, False]
    assert len(mail.outbox) == 1


def test_shipped_refunded_and_pickup_ready_notices(shop_settings, django_capture_on_commit_callbacks):
    variant_with_stock("HP-1", price="15.00", on_hand=5)
    shipped = confirm_payment(checkout(cart_with(("HP-1", 2))).order)
    pickup = confirm_payment(checkout(cart_with(("HP-1", 1)), email="bo@example.com", fulfilment="pickup").order)

    with django_capture_on_commit_callbacks(execute=True):
        mark_fulfilled(shipped)
        refund_order(shipped, quantities={shipped.lines.get().pk: 1})
        mark_ready_for_pickup(pickup)
        mark_ready_for_pickup(pickup)  # pressed twice: one notice

    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["ada@example.com"], f"Your order {shipped.number} is on its way"),
        (["ada@example.com"], f"Refund for your order {shipped.number}"),
        (["bo@example.com"], f"Your order {pickup.number} is ready for pickup"),
    ]
    assert "has shipped to Ada Reader, Springfield, United States" in mail.outbox[0].body
    assert "refunded 15.00 USD of the 35.00 USD" in mail.outbox[1].body
    assert pickup_code_for(pickup) in mail.outbox[2].body
    assert pickup.events.filter(type="pickup_ready").count() == 1


def test_no_buyer_data_in_the_logs(shop_settings, django_capture_on_commit_callbacks, capsys, caplog):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    with django_capture_on_commit_callbacks(execute=True):
        confirm_payment(checkout(cart_with(("HP-1", 1)), email="secret.buyer@example.com").order)

    logged = capsys.readouterr().out + capsys.readouterr().err + caplog.text
    assert "order e-mail sent" in logged
    assert "secret.buyer" not in logged and "1 Main St" not in logged and "Ada Reader" not in logged
