"""Stripe webhook handling: verify, then handle each event id exactly once.

The event id is stored in the same transaction as the event's effects, so a retry after a
failure is handled again, and a duplicate (even a concurrent one: the unique index makes it
wait for the first) is a no-op. Handlers are order-independent (see shop.services.payments).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

from django.db import IntegrityError, transaction

from shop.models import GroupMember, ProcessedWebhookEvent
from shop.money import from_minor_units
from shop.payments.stripe_api import capture_before_of, verify_webhook
from shop.services import group_holds
from shop.services.disputes import record_dispute_status
from shop.services.payments import UnknownPayment, complete_checkout, record_payment_failure
from shop.services.refunds import record_refund_total
from shop.validation import row_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    type: str
    result: str  # "processed", "duplicate", "ignored"


def _payment_intent_succeeded(intent: dict) -> None:
    currency = str(intent.get("currency", "")).upper()
    # What was taken: amount_received (a captured hold may be less than the amount asked for).
    received = intent.get("amount_received")
    amount = from_minor_units(int(intent["amount"] if received is None else received), currency)
    if _group_member_id(intent) is not None:
        group_holds.record_capture(intent["id"], amount_received=amount, currency=currency)
        return
    complete_checkout(intent["id"], amount=amount, currency=currency)


def _group_member_id(intent: dict) -> int | None:
    """The group-buy member a hold belongs to, from the metadata the join wrote before the intent existed."""
    value = (intent.get("metadata") or {}).get("group_member")
    return row_id(str(value)) if value else None


def _amount_capturable_updated(intent: dict) -> None:
    member_id = _group_member_id(intent)
    if member_id is None or not GroupMember.objects.filter(pk=member_id).exists():
        raise UnknownPayment(intent.get("id", ""))
    charge = intent.get("latest_charge")
    capture_before = capture_before_of(charge) if isinstance(charge, dict) else None
    group_holds.record_hold(
        member_id, intent_id=intent["id"], amount_capturable=int(intent.get("amount_capturable") or 0),
        capture_before=datetime.fromtimestamp(capture_before, tz=dt_timezone.utc) if capture_before else None,
    )


def _payment_intent_canceled(intent: dict) -> None:
    if not group_holds.record_hold_cancelled(intent["id"], reason="hold cancelled at the gateway"):
        raise UnknownPayment(intent.get("id", ""))


def _charge_expired(charge: dict) -> None:
    intent_id = charge.get("payment_intent") or ""
    if not intent_id or not group_holds.record_hold_cancelled(intent_id, reason="card hold expired"):
        raise UnknownPayment(charge.get("id", ""))


def _payment_intent_failed(intent: dict) -> None:
    error = intent.get("last_payment_error") or {}
    record_payment_failure(intent["id"], message=str(error.get("message") or "The payment failed."))


def _charge_refunded(charge: dict) -> None:
    if not charge.get("payment_intent"):
        raise UnknownPayment(charge.get("id", ""))
    if charge.get("captured") is False:
        return  # a released card hold (never captured): no money moved, never a customer refund
    currency = str(charge.get("currency", "")).upper()
    record_refund_total(charge["payment_intent"],
                        amount_refunded=from_minor_units(int(charge.get("amount_refunded") or 0), currency))


def _dispute_changed(dispute: dict) -> None:
    """Every ``charge.dispute.*`` event carries the dispute as it is now; each is read the same way, by its
    dispute id and status (``record_dispute_status``: opened, closed, lost once; late events change nothing).

    Only ``closed`` with status ``lost`` takes money back, never ``funds_withdrawn``: Stripe withdraws the
    funds when a chargeback opens and reinstates them when it is won (``funds_reinstated``)."""
    if not dispute.get("payment_intent") or not dispute.get("id"):
        raise UnknownPayment(dispute.get("id", ""))
    currency = str(dispute.get("currency", "")).upper()
    record_dispute_status(dispute["payment_intent"], dispute_id=str(dispute["id"]),
                          status=str(dispute.get("status") or ""),
                          amount=from_minor_units(int(dispute.get("amount") or 0), currency), currency=currency,
                          reason=str(dispute.get("reason") or ""))


HANDLERS = {
    "payment_intent.succeeded": _payment_intent_succeeded,
    "payment_intent.payment_failed": _payment_intent_failed,
    "payment_intent.amount_capturable_updated": _amount_capturable_updated,
    "payment_intent.canceled": _payment_intent_canceled,
    "charge.expired": _charge_expired,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_changed,
    "charge.dispute.updated": _dispute_changed,
    "charge.dispute.funds_withdrawn": _dispute_changed,
    "charge.dispute.funds_reinstated": _dispute_changed,
    "charge.dispute.closed": _dispute_changed,
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
