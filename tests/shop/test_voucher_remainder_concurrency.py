"""Real threads against PostgreSQL: Stripe's duplicate successes for one reward-paid order, at the same moment,
issue one remainder voucher."""

from decimal import Decimal

import pytest
from django.test import Client

from shop.models import Voucher
from shop.money import to_minor_units
from tests.shop.conftest import skip_unless_postgres
from tests.shop.helpers import cart_with, checkout, intent_object, signed_event, variant_with_stock
from tests.shop.test_concurrency import _run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_duplicate_successes_at_once_issue_one_rest(shop_settings, fake_stripe):
    skip_unless_postgres()
    variant_with_stock("RW-1", price="12.00", on_hand=5)
    Voucher.objects.create(code="SHARE-RACE", kind="fixed", value=Decimal("30.00"), currency="USD", usage_limit=1,
                           per_buyer_limit=1, reissue_unused=True)
    order = checkout(cart_with(("RW-1", 1)), voucher_code="SHARE-RACE").order
    payment = order.payments.get()
    obj = intent_object(payment.intent_id, amount=to_minor_units(payment.amount, "USD"))

    def post(n):
        def send():
            payload, header = signed_event("payment_intent.succeeded", obj, event_id=f"evt_race_{n}")
            return Client().post("/webhooks/stripe/", payload, content_type="application/json",
                                 headers={"Stripe-Signature": header}).status_code
        return send

    outcomes = _run_in_threads([post(n) for n in range(4)], workers=4)

    assert outcomes == [200] * 4
    # 12.00 of the 30.00 used (shipping is not the voucher's): one 18.00 rest, whatever the order of arrival
    assert list(Voucher.objects.filter(remainder_of__code="SHARE-RACE").values_list("value", "remainder_source")) == [
        (Decimal("18.00"), "paid")]
