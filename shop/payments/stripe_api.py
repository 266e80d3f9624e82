"""The only module that imports the stripe SDK: PaymentIntents, refunds and webhook signatures.

Every call pins the API version and sends an idempotency key; SDK errors become
PaymentGatewayError. ``STRIPE_API_BASE`` points the SDK elsewhere (localstripe in tests).
"""

import json
import logging
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.conf import settings

from shop.money import to_minor_units
from shop.payments.gateway import (
    UNAVAILABLE_MESSAGE,
    HoldResult,
    IntentResult,
    PaymentGateway,
    PaymentGatewayError,
    RefundResult,
)

STRIPE_API_VERSION = "2026-10-28.endive"
WEBHOOK_TOLERANCE_SECONDS = 300

logger = logging.getLogger(__name__)


class WebhookSignatureError(Exception):
    pass


def _client() -> stripe.StripeClient:
    base_addresses = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_version=STRIPE_API_VERSION,
        base_addresses=base_addresses,
        max_network_retries=2,  # the SDK retries with the same idempotency key
    )


def _gateway_error(error: stripe.StripeError, *, operation: str, reference: str = "") -> PaymentGatewayError:
    """Our own error; the SDK's text (which names hosts, ports and masked keys) goes to the log only.

    Only a card error's ``user_message`` is written for buyers; every other failure reads the same.
    """
    code = str(getattr(error, "code", None) or "gateway_error")
    detail = f"{type(error).__name__}: {error}"
    logger.warning("Stripe %s failed (%s) [%s]: %s", operation, reference or "-", code, detail)
    # Stripe's own answer (a JSON error body); a network failure has none, only the SDK's text naming the host.
    answered = getattr(getattr(error, "error", None), "message", None) or ""
    if isinstance(error, stripe.AuthenticationError):
        answered = ""  # it quotes the (masked) API key
    if isinstance(error, stripe.CardError) and error.user_message:
        return PaymentGatewayError(error.user_message, code=code, detail=detail, provider_message=answered)
    return PaymentGatewayError(UNAVAILABLE_MESSAGE, code=code, detail=detail, provider_message=answered)


class StripeGateway(PaymentGateway):
    name = "stripe"
    sends_webhooks = True
    confirms_on_server = False

    @property
    def publishable_key(self) -> str:
        return settings.STRIPE_PUBLISHABLE_KEY

    def create_intent(self, *, amount: Decimal, currency: str, reference: str, idempotency_key: str,
                      metadata: dict[str, str]) -> IntentResult:
        params = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            # Card only: the Payment Element then needs no dashboard configuration.
            "payment_method_types": ["card"],
            "metadata": {"order_number": reference, **metadata},
        }
        try:
            intent = _client().v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise _gateway_error(error, operation="create_intent", reference=reference) from error
        return IntentResult(intent_id=intent.id, client_secret=intent.client_secret or "",
                            succeeded=intent.status == "succeeded")

    def confirm_intent(self, intent_id: str, *, idempotency_key: str) -> IntentResult:
        raise PaymentGatewayError("Stripe payments are confirmed by the buyer's browser (Payment Element).",
                                  code="client_confirmation_required")

    def cancel_intent(self, intent_id: str, *, idempotency_key: str) -> None:
        try:
            _client().v1.payment_intents.cancel(intent_id, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise _gateway_error(error, operation="cancel_intent", reference=intent_id) from error

    def refund(self, intent_id: str, *, amount: Decimal, currency: str, idempotency_key: str,
               metadata: dict[str, str]) -> RefundResult:
        params = {"payment_intent": intent_id, "amount": to_minor_units(amount, currency), "metadata": metadata}
        try:
            refund = _client().v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise _gateway_error(error, operation="refund", reference=intent_id) from error
        return RefundResult(refund_id=refund.id, succeeded=refund.status == "succeeded")

    def create_hold(self, *, amount: Decimal, currency: str, reference: str, idempotency_key: str,
                    metadata: dict[str, str], payment_method: str = "") -> HoldResult:
        params = {
            "amount": to_minor_units(amount, currency),
            "currency": currency.lower(),
            "capture_method": "manual",
            "payment_method_types": ["card"],
            "metadata": {"order_number": reference, **metadata},
        }
        if payment_method:
            # Stripe.js made the payment method in the browser; the hold is placed here and now.
            params.update(payment_method=payment_method, confirm=True)
        try:
            intent = _client().v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            declined = _gateway_error(error, operation="create_hold", reference=reference)
            intent_id = getattr(getattr(error, "error", None), "payment_intent", None)
            intent_id = intent_id.get("id", "") if isinstance(intent_id, dict) else ""
            return HoldResult(intent_id=intent_id, client_secret="", status="declined", message=declined.message)
        except stripe.StripeError as error:
            raise _gateway_error(error, operation="create_hold", reference=reference) from error
        return _hold_result(intent)

    def capture_hold(self, intent_id: str, *, idempotency_key: str) -> int:
        try:
            intent = _client().v1.payment_intents.capture(intent_id, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise _gateway_error(error, operation="capture_hold", reference=intent_id) from error
        return int(intent.amount_received or 0)

    def cancel_hold(self, intent_id: str, *, idempotency_key: str, reason: str = "abandoned") -> None:
        try:
            _client().v1.payment_intents.cancel(intent_id, params={"cancellation_reason": reason},
                                                options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as error:
            if getattr(error, "code", None) == "payment_intent_unexpected_state":
                return  # already cancelled (or expired): the hold is gone either way
            raise _gateway_error(error, operation="cancel_hold", reference=intent_id) from error
        except stripe.StripeError as error:
            raise _gateway_error(error, operation="cancel_hold", reference=intent_id) from error


def capture_before_of(charge) -> int | None:
    """Stripe's authority on how long a card hold lasts: the charge's ``capture_before`` (Unix time)."""
    if not isinstance(charge, dict):
        return None
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    value = card.get("capture_before")
    return int(value) if value else None


def _hold_result(intent) -> HoldResult:
    if intent.status != "requires_capture":
        return HoldResult(intent_id=intent.id, client_secret=intent.client_secret or "", status="authorising")
    charge = intent.latest_charge
    if isinstance(charge, str):
        charge = _client().v1.charges.retrieve(charge)
    return HoldResult(intent_id=intent.id, client_secret=intent.client_secret or "", status="held",
                      amount_capturable=int(intent.amount_capturable or 0),
                      capture_before=capture_before_of(charge.to_dict() if charge is not None else None))


def verify_webhook(payload: bytes, signature_header: str) -> dict:
    """The event as a plain dict, once its signature and timestamp (300 s tolerance) check out."""
    try:
        stripe.Webhook.construct_event(
            payload, signature_header, settings.STRIPE_WEBHOOK_SECRET, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
        event = json.loads(payload)
    except stripe.SignatureVerificationError as error:
        raise WebhookSignatureError(str(error)) from error
    except ValueError as error:
        raise WebhookSignatureError("The webhook body is not valid JSON.") from error
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise WebhookSignatureError("The webhook body is not a Stripe event.")
    return event


def create_transfer(*, amount_minor: int, currency: str, destination: str, transfer_group: str,
                    idempotency_key: str, metadata: dict[str, str] | None = None) -> str:
    """A Stripe Connect transfer to a connected account (creator payouts); returns the transfer id.

    The idempotency key makes a retry (same key) return the first transfer instead of a second one.
    """
    params = {
        "amount": amount_minor,
        "currency": currency.lower(),
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": metadata or {},
    }
    try:
        transfer = _client().v1.transfers.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as error:
        raise _gateway_error(error, operation="create_transfer", reference=transfer_group) from error
    return transfer.id


def create_transfer_reversal(*, transfer_id: str, amount_minor: int, idempotency_key: str,
                             metadata: dict[str, str] | None = None) -> str:
    """Take ``amount_minor`` back from a Connect transfer (money already sent to a brand); returns the reversal id.

    Stripe refuses to reverse more than is left on the transfer; the idempotency key makes a retry
    return the first reversal instead of taking the money back twice.
    """
    params = {"amount": amount_minor, "metadata": metadata or {}}
    try:
        reversal = _client().v1.transfers.reversals.create(transfer_id, params=params,
                                                             options={"idempotency_key": idempotency_key})
    except stripe.StripeError as error:
        raise _gateway_error(error, operation="create_transfer_reversal", reference=transfer_id) from error
    return reversal.id


@dataclass(frozen=True)
class ConnectedAccountStatus:
    account_id: str
    details_submitted: bool
    payouts_enabled: bool


def create_connected_account(*, email: str, idempotency_key: str) -> str:
    """An Express connected account a creator is paid into; returns its id (``acct_…``)."""
    params = {"type": "express", "email": email, "capabilities": {"transfers": {"requested": True}}}
    try:
        account = _client().v1.accounts.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as error:
        raise _gateway_error(error, operation="create_account") from error
    return account.id


def create_account_onboarding_link(*, account_id: str, refresh_url: str, return_url: str) -> str:
    """Stripe-hosted onboarding for the connected account (identity, bank details); returns its URL."""
    params = {"account": account_id, "refresh_url": refresh_url, "return_url": return_url,
              "type": "account_onboarding"}
    try:
        link = _client().v1.account_links.create(params=params)
    except stripe.StripeError as error:
        raise _gateway_error(error, operation="create_account_link", reference=account_id) from error
    return link.url


def retrieve_connected_account(account_id: str) -> ConnectedAccountStatus:
    try:
        account = _client().v1.accounts.retrieve(account_id)
    except stripe.StripeError as error:
        raise _gateway_error(error, operation="retrieve_account", reference=account_id) from error
    return ConnectedAccountStatus(
        account_id=account.id,
        details_submitted=bool(getattr(account, "details_submitted", False)),
        payouts_enabled=bool(getattr(account, "payouts_enabled", False)),
    )
