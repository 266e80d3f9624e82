"""Stripe webhook handling: verify, then handle each event id exactly once.

The event id is stored in the same transaction as the event's effects, so a retry after a
failure is handled again, and a duplicate (even a concurrent one: the unique index makes it
wait for the first) is a no-op. Handlers are order-independent (see shop.services.payments).
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from shop.models import ProcessedWebhookEvent
from shop.money import from_minor_units
from shop.payments.stripe_api import verify_webhook
from shop.services.payments import UnknownPayment, complete_checkout, record_dispute, record_payment_failure
from shop.services.refunds import record_refund_total

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    type: str
    result: str  # "processed", "duplicate", "ignored"


def _payment_intent_succeeded(intent: dict) -> None:
    currency = str(intent.get("currency", "")).upper()
    complete_checkout(intent["id"], amount=from_minor_units(int(intent["amount"]), currency), currency=currency)


def _payment_intent_failed(intent: dict) -> None:
    error = intent.get("last_payment_error") or {}
    record_payment_failure(intent["id"], message=str(error.get("message") or "The payment failed."))


def _charge_refunded(charge: dict) -> None:
    if not charge.get("payment_intent"):
        raise UnknownPayment(charge.get("id", ""))
    currency = str(charge.get("currency", "")).upper()
    record_refund_total(charge["payment_intent"],
                        amount_refunded=from_minor_units(int(charge.get("amount_refunded") or 0), currency))


def _dispute_created(dispute: dict) -> None:
    if not dispute.get("payment_intent"):
        raise UnknownPayment(dispute.get("id", ""))
    currency = str(dispute.get("currency", "")).upper()
    record_dispute(dispute["payment_intent"], dispute_id=str(dispute.get("id", "")),
                   amount=from_minor_units(int(dispute.get("amount") or 0), currency),
                   reason=str(dispute.get("reason") or ""))


HANDLERS = {
    "payment_intent.succeeded": _payment_intent_succeeded,
    "payment_intent.payment_failed": _payment_intent_failed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}


def handle_event(event: dict) -> WebhookOutcome:
    event_id, event_type = str(event["id"]), str(event["type"])
    handler = HANDLERS.get(event_type)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProcessedWebhookEvent.objects.create(event_id=event_id, type=event_type[:60])
        except IntegrityError:
            return WebhookOutcome(event_id, event_type, "duplicate")
        if handler is None:
            return WebhookOutcome(event_id, event_type, "ignored")
        try:
            handler(event["data"]["object"])
        except UnknownPayment:
            # Not one of ours (another integration on the same account): acknowledge and move on.
            logger.info("Webhook %s %s refers to an unknown payment.", event_type, event_id)
            return WebhookOutcome(event_id, event_type, "ignored")
    return WebhookOutcome(event_id, event_type, "processed")


def handle_stripe_webhook(payload: bytes, signature_header: str) -> WebhookOutcome:
    """Raises WebhookSignatureError for a bad signature or a timestamp older than 300 seconds."""
    outcome = handle_event(verify_webhook(payload, signature_header))
    logger.info("webhook handled", extra={"event_id": outcome.event_id, "event_type": outcome.type,
                                          "result": outcome.result})
    return outcome
