"""Card holds (``capture_method=manual``) in localstripe, behaving like Stripe where group buy relies on it.

localstripe authorises a manual-capture PaymentIntent silently and lets anything be captured. Here,
as at Stripe:

* confirming a manual-capture intent authorises the card: status ``requires_capture``,
  ``amount_capturable`` = amount, the charge carries ``payment_method_details.card.capture_before``
  (7 days on, or what ``POST /_config/holds {"seconds": n}`` says), and the event
  ``payment_intent.amount_capturable_updated`` is sent;
* card ``4000000000000002`` is declined at confirmation (402 ``card_declined``,
  ``payment_intent.payment_failed``), like ``…0341``;
* capture fills ``amount_received`` (``amount_capturable`` back to 0) and sends
  ``payment_intent.succeeded``; capturing anything not in ``requires_capture`` (a cancelled or
  expired hold, a captured intent) is refused with 400 ``payment_intent_unexpected_state``;
* cancel accepts ``cancellation_reason`` (Stripe's four values), records ``canceled_at`` and sends
  ``payment_intent.canceled``; cancelling a hold (``requires_capture``) refunds the uncaptured
  amount as Stripe does ("the remaining amount_capturable is automatically refunded"): the charge
  stays ``captured: false`` with ``refunded: true`` / ``amount_refunded`` = amount, and
  ``charge.refunded`` is sent (the shop must not take it for a customer refund);
* ``POST /_config/payment_intents/{id}/expire_hold`` plays the hold running out: the intent is
  cancelled (reason ``automatic``) and ``charge.expired`` and ``payment_intent.canceled`` are sent;
* ``Idempotency-Key`` on ``POST /v1/payment_intents…``: the same key and body replay the first
  answer and create nothing; the same key with another body is 400 ``idempotency_error``.

Events are also stored, so tests read them back with ``GET /v1/events?type=…``.
"""

import hashlib
import re
import time

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import Charge, Event, PaymentIntent, PaymentMethod, Refund
from localstripe.server import get_post_data, json_response
from localstripe.webhooks import schedule_webhook

DEFAULT_HOLD_SECONDS = 7 * 24 * 3600
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
DECLINED_AT_CONFIRMATION = ("4000000000000002",)

_settings = {"hold_seconds": DEFAULT_HOLD_SECONDS}
_replies: dict[str, tuple[str, int, bytes]] = {}  # idempotency key -> (request fingerprint, status, body)
_INTENT_ACTION = re.compile(r"^/v1/payment_intents/(pi_\w+)/(capture|cancel)$")


def _send(event_type: str, obj) -> None:
    schedule_webhook(Event(event_type, obj))


# --- declines and authorisation ---------------------------------------------------------------

_charging_is_declined = PaymentMethod._charging_is_declined


def _declined(self) -> bool:
    if self.type == "card" and getattr(self, "_card_number", None) in DECLINED_AT_CONFIRMATION:
        return True
    return _charging_is_declined(self)


PaymentMethod._charging_is_declined = _declined

_create_charge = PaymentIntent._create_charge


def _create_charge_with_hold(self, on_failure_now):
    _create_charge(self, on_failure_now)
    charge = self.latest_charge
    if self.capture_method == "manual" and charge.status == "succeeded" and not charge.captured:
        capture_before = int(time.time()) + _settings["hold_seconds"]
        method = PaymentMethod._api_retrieve(charge.payment_method)
        card = dict(getattr(method, "card", None) or {})
        charge.payment_method_details = {"type": "card", "card": {**card, "capture_before": capture_before}}
        _send("payment_intent.amount_capturable_updated", self)


PaymentIntent._create_charge = _create_charge_with_hold
Charge.payment_method_details = None
Charge.amount_captured = property(lambda self: getattr(self, "_amount_captured", self.amount if self.captured
                                                       and self.status == "succeeded" else 0))
PaymentIntent.cancellation_reason = None
PaymentIntent.canceled_at = None
PaymentIntent.amount_capturable = property(
    lambda self: self.latest_charge.amount if self.status == "requires_capture" else 0)
PaymentIntent.amount_received = property(
    lambda self: self.latest_charge.amount_captured if self.status == "succeeded" else 0)


# --- capture, cancel, expiry ------------------------------------------------------------------

def _unexpected_state(intent, action: str) -> UserError:
    return UserError(400, f"This PaymentIntent could not be {action} because it has a status of {intent.status}.",
                     {"code": "payment_intent_unexpected_state"})


def _capture(intent_id: str, data: dict):
    amount = data.pop("amount_to_capture", None)
    if data:
        raise UserError(400, "Unexpected " + ", ".join(data))
    intent = PaymentIntent._api_retrieve(intent_id)
    if intent.status != "requires_capture":
        raise _unexpected_state(intent, "captured")
    charge = intent.latest_charge
    amount = charge.amount if amount is None else int(amount)
    charge._capture(amount, on_success=intent._on_success)
    charge._amount_captured = amount
    return intent


def _cancel(intent_id: str, data: dict):
    reason = data.pop("cancellation_reason", None)
    if data:
        raise UserError(400, "Unexpected " + ", ".join(data))
    if reason is not None and reason not in CANCELLATION_REASONS:
        raise UserError(400, f"Invalid cancellation_reason: must be one of {', '.join(CANCELLATION_REASONS)}",
                        {"code": "parameter_invalid_string", "param": "cancellation_reason"})
    intent = PaymentIntent._api_retrieve(intent_id)
    if intent.status not in ("requires_payment_method", "requires_capture", "requires_confirmation",
                             "requires_action"):
        raise _unexpected_state(intent, "canceled")
    held = intent.status == "requires_capture"
    _mark_cancelled(intent, reason)
    if held:
        charge = intent.latest_charge
        Refund(charge=charge.id, amount=charge.amount)  # the released authorisation
        _send("charge.refunded", charge)
    return intent


def _mark_cancelled(intent, reason: str | None) -> None:
    intent._canceled = True
    intent.next_action = None
    intent.cancellation_reason = reason
    intent.canceled_at = int(time.time())
    _send("payment_intent.canceled", intent)


async def expire_hold(request):
    """Test helper: the card hold on this intent runs out (Stripe's ``capture_before`` passed)."""
    intent = PaymentIntent._api_retrieve(request.match_info["id"])
    if intent.status != "requires_capture":
        raise _unexpected_state(intent, "expired")
    _send("charge.expired", intent.latest_charge)
    _mark_cancelled(intent, "automatic")
    return json_response(intent._export())


async def configure_holds(request):
    """``{"seconds": n}``: how long holds authorised from now on last (``capture_before``)."""
    data = await get_post_data(request) or {}
    _settings["hold_seconds"] = int(data.get("seconds", DEFAULT_HOLD_SECONDS))
    return web.Response()


async def reset_holds(request):
    _settings["hold_seconds"] = DEFAULT_HOLD_SECONDS
    _replies.clear()
    return web.Response()


# --- the middleware that routes the above (localstripe's own routes are bound at import) -------

def _fingerprint(request, data: dict) -> str:
    return hashlib.sha256(f"{request.method} {request.path} {sorted(data.items())!r}".encode()).hexdigest()


@web.middleware
async def holds_middleware(request, handler):
    if request.method != "POST" or not request.path.startswith("/v1/payment_intents"):
        return await handler(request)
    key = request.headers.get("Idempotency-Key")
    data = await get_post_data(request) or {}
    fingerprint = _fingerprint(request, data)
    if key and key in _replies:
        seen, status, body = _replies[key]
        if seen != fingerprint:
            return json_response({"error": {"type": "idempotency_error", "message": (
                "Keys for idempotent requests can only be used with the same parameters they were first used with.")}},
                status=400)
        return web.Response(body=body, status=status, content_type="application/json")
    action = _INTENT_ACTION.match(request.path)
    if action:
        intent_id, verb = action.groups()
        data.pop("expand", None)
        intent = (_capture if verb == "capture" else _cancel)(intent_id, data)
        response = json_response(intent._export())
    else:
        response = await handler(request)
    if key and 200 <= response.status < 300:
        _replies[key] = (fingerprint, response.status, response.body)
    return response


def install(app: web.Application) -> None:
    app.middlewares.append(holds_middleware)
    app.router.add_post("/_config/payment_intents/{id}/expire_hold", expire_hold)
    app.router.add_post("/_config/holds", configure_holds)
    app.router.add_delete("/_config/holds", reset_holds)
