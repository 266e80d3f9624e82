"""The fake Stripe's card holds (tests.support.localstripe_holds) against the real SDK: each behaviour
group buy relies on, so group-buy tests can't pass on behaviour Stripe does not have."""

import time
import uuid

import pytest
import stripe

from tests.support.localstripe_config import configure_localstripe

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"


@pytest.fixture
def sdk(localstripe_url):
    return stripe.StripeClient("sk_test_kolshop", base_addresses={"api": localstripe_url}, max_network_retries=0)


@pytest.fixture
def hold_seconds(localstripe_url):
    def set_to(seconds: int) -> None:
        configure_localstripe(localstripe_url, "POST", "/_config/holds", {"seconds": seconds})

    yield set_to
    configure_localstripe(localstripe_url, "DELETE", "/_config/holds")


def _hold(sdk, *, amount: int = 2500, card: str = CARD_OK):
    intent = sdk.v1.payment_intents.create(params={
        "amount": amount, "currency": "usd", "capture_method": "manual", "payment_method_types": ["card"]})
    method = sdk.v1.payment_methods.create(params={
        "type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    sdk.v1.payment_intents.update(intent.id, params={"payment_method": method.id})
    return sdk.v1.payment_intents.confirm(intent.id)


def _event_types(sdk, intent_id: str) -> list[str]:
    """The stored events about this intent (or its charge), sorted by type. Every page: the fake lists the
    session's events oldest first, so after 100 of them the first page no longer holds this test's."""
    events = list(sdk.v1.events.list(params={"limit": 100}).auto_paging_iter())
    objects = [(event.type, event.data.object.to_dict()) for event in events]
    mine = [(type_, obj) for type_, obj in objects if intent_id in (obj.get("id"), obj.get("payment_intent"))]
    return sorted(type_ for type_, _ in mine)


def _charge(sdk, intent):
    charge = intent.latest_charge
    return sdk.v1.charges.retrieve(charge if isinstance(charge, str) else charge.id)


def test_confirming_a_manual_capture_intent_holds_the_amount_and_says_so(sdk):
    started = int(time.time())

    intent = _hold(sdk, amount=2500)

    assert (intent.status, intent.amount_capturable, intent.amount_received) == ("requires_capture", 2500, 0)
    capture_before = _charge(sdk, intent).payment_method_details.card.capture_before
    assert started + 7 * 24 * 3600 <= capture_before <= int(time.time()) + 7 * 24 * 3600
    assert _event_types(sdk, intent.id) == ["payment_intent.amount_capturable_updated"]


def test_capture_fills_amount_received_and_sends_succeeded(sdk):
    intent = _hold(sdk, amount=2500)

    captured = sdk.v1.payment_intents.capture(intent.id)

    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 2500, 0)
    assert _charge(sdk, captured).captured is True
    assert _event_types(sdk, intent.id) == ["payment_intent.amount_capturable_updated",
                                            "payment_intent.succeeded"]


def test_cancel_takes_a_cancellation_reason_and_sends_canceled(sdk):
    intent = _hold(sdk)

    cancelled = sdk.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "abandoned"})

    assert (cancelled.status, cancelled.cancellation_reason, cancelled.amount_capturable) == ("canceled", "abandoned", 0)
    assert cancelled.canceled_at >= int(time.time()) - 5
    assert _event_types(sdk, intent.id) == ["charge.refunded", "payment_intent.amount_capturable_updated",
                                            "payment_intent.canceled"]


def test_cancelling_a_hold_refunds_the_uncaptured_charge_like_stripe(sdk):
    intent = _hold(sdk, amount=2500)

    cancelled = sdk.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "abandoned"})

    charge = _charge(sdk, cancelled)
    assert (charge.captured, charge.refunded, charge.amount_refunded, charge.amount_captured) == (False, True, 2500, 0)
    refunded = [event.data.object for event in sdk.v1.events.list(params={"limit": 100}).auto_paging_iter()
                if event.type == "charge.refunded" and event.data.object.to_dict().get("payment_intent") == intent.id]
    assert [(obj.captured, obj.amount_refunded) for obj in refunded] == [(False, 2500)]


def test_cancelling_an_unconfirmed_intent_refunds_nothing(sdk):
    intent = sdk.v1.payment_intents.create(params={
        "amount": 2500, "currency": "usd", "capture_method": "manual", "payment_method_types": ["card"]})

    sdk.v1.payment_intents.cancel(intent.id)

    assert _event_types(sdk, intent.id) == ["payment_intent.canceled"]


def test_an_unknown_cancellation_reason_is_refused(sdk):
    intent = _hold(sdk)

    with pytest.raises(stripe.InvalidRequestError) as error:
        sdk.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "bored"})

    assert error.value.http_status == 400
    assert sdk.v1.payment_intents.retrieve(intent.id).status == "requires_capture"


def test_capturing_a_cancelled_intent_is_refused(sdk):
    intent = _hold(sdk)
    sdk.v1.payment_intents.cancel(intent.id)

    with pytest.raises(stripe.InvalidRequestError) as error:
        sdk.v1.payment_intents.capture(intent.id)

    assert (error.value.http_status, error.value.code) == (400, "payment_intent_unexpected_state")
    after = sdk.v1.payment_intents.retrieve(intent.id)
    assert (after.status, after.amount_received) == ("canceled", 0)


def test_capturing_twice_is_refused(sdk):
    intent = _hold(sdk)
    sdk.v1.payment_intents.capture(intent.id)

    with pytest.raises(stripe.InvalidRequestError) as error:
        sdk.v1.payment_intents.capture(intent.id)

    assert error.value.code == "payment_intent_unexpected_state"
    assert _event_types(sdk, intent.id).count("payment_intent.succeeded") == 1


def test_card_0002_is_declined_at_confirmation(sdk):
    with pytest.raises(stripe.CardError) as error:
        _hold(sdk, card=CARD_DECLINED)

    assert (error.value.http_status, error.value.code) == (402, "card_declined")
    intents = [intent for intent in sdk.v1.payment_intents.list(params={"limit": 100}).data
               if intent.status == "requires_payment_method" and intent.last_payment_error]
    assert intents and intents[0].last_payment_error.code == "card_declined"
    assert "payment_intent.payment_failed" in _event_types(sdk, intents[0].id)


def test_an_expired_hold_is_cancelled_cannot_be_captured_and_sends_charge_expired(sdk, localstripe_url):
    intent = _hold(sdk)

    expired = configure_localstripe(localstripe_url, "POST", f"/_config/payment_intents/{intent.id}/expire_hold")

    assert (expired["status"], expired["cancellation_reason"]) == ("canceled", "automatic")
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.payment_intents.capture(intent.id)
    assert _event_types(sdk, intent.id) == ["charge.expired", "payment_intent.amount_capturable_updated",
                                            "payment_intent.canceled"]


def test_capture_before_follows_the_configured_hold_length(sdk, hold_seconds):
    hold_seconds(3600)
    started = int(time.time())

    intent = _hold(sdk)

    capture_before = _charge(sdk, intent).payment_method_details.card.capture_before
    assert started + 3600 <= capture_before <= int(time.time()) + 3600


def test_an_idempotency_key_replays_the_first_intent(sdk):
    key = f"test-{uuid.uuid4()}"
    params = {"amount": 1200, "currency": "usd", "capture_method": "manual", "payment_method_types": ["card"]}

    first = sdk.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    second = sdk.v1.payment_intents.create(params=params, options={"idempotency_key": key})

    assert second.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        sdk.v1.payment_intents.create(params={**params, "amount": 1300}, options={"idempotency_key": key})


def test_an_automatic_capture_payment_still_succeeds_at_once(sdk):
    intent = sdk.v1.payment_intents.create(params={"amount": 900, "currency": "usd",
                                                   "payment_method_types": ["card"]})
    method = sdk.v1.payment_methods.create(params={
        "type": "card", "card": {"number": CARD_OK, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    sdk.v1.payment_intents.update(intent.id, params={"payment_method": method.id})

    paid = sdk.v1.payment_intents.confirm(intent.id)

    assert (paid.status, paid.amount_received, paid.amount_capturable) == ("succeeded", 900, 0)
    assert _event_types(sdk, intent.id) == ["payment_intent.succeeded"]
