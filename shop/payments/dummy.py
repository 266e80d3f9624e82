"""A gateway for the local demo and tests: no card, no network; confirming pays at once."""

import hashlib
import time
from decimal import Decimal

from shop.money import to_minor_units
from shop.payments.gateway import HoldResult, IntentResult, PaymentGateway, RefundResult

HOLD_SECONDS = 7 * 24 * 3600


def _stable_id(prefix: str, key: str) -> str:
    # Same idempotency key, same id: retries behave as they do at a real gateway.
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class DummyGateway(PaymentGateway):
    name = "dummy"
    sends_webhooks = False
    confirms_on_server = True

    def create_intent(self, *, amount: Decimal, currency: str, reference: str, idempotency_key: str,
                      metadata: dict[str, str]) -> IntentResult:
        intent_id = _stable_id("dummy_pi", idempotency_key)
        return IntentResult(intent_id=intent_id, client_secret=f"{intent_id}_secret", succeeded=False)

    def confirm_intent(self, intent_id: str, *, idempotency_key: str) -> IntentResult:
        return IntentResult(intent_id=intent_id, client_secret=f"{intent_id}_secret", succeeded=True)

    def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> None:
        return None

    def refund(self, intent_id: str, *, amount: Decimal, currency: str, idempotency_key: str,
               metadata: dict[str, str]) -> RefundResult:
        return RefundResult(refund_id=_stable_id("dummy_re", idempotency_key), succeeded=True)

    def create_hold(self, *, amount: Decimal, currency: str, reference: str, idempotency_key: str,
                    metadata: dict[str, str], payment_method: str = "") -> HoldResult:
        intent_id = _stable_id("dummy_pi", idempotency_key)
        return HoldResult(intent_id=intent_id, client_secret=f"{intent_id}_secret", status="held",
                          amount_capturable=to_minor_units(amount, currency),
                          capture_before=int(time.time()) + HOLD_SECONDS)

    def capture_hold(self, intent_id: str, *, idempotency_key: str) -> int:
        # No card behind it: the whole amount the shop asked to hold is received.
        from shop.models import Payment

        payment = Payment.objects.get(intent_id=intent_id)
        return to_minor_units(payment.amount, payment.currency)

    def cancel_hold(self, intent_id: str, *, idempotency_key: str, reason: str = "abandoned") -> None:
        return None
