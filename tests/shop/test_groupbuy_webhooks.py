"""Hold webhooks: early, twice or out of order, each changes things once. Payloads are the fake Stripe's
real intents and charges, signed with the SDK's helper."""

import pytest

from shop.models import (
    GroupMember,
    GroupMemberStatus,
    GroupTeam,
    GroupTeamStatus,
    Order,
    OrderEvent,
    OrderEventType,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
)
from shop.services.groupbuy import join_team, open_team
from tests.shop.group_helpers import buyer, make_campaign
from tests.shop.helpers import card, post_webhook, signed_event
from tests.support.localstripe_config import configure_localstripe

pytestmark = pytest.mark.django_db(transaction=True)


def _confirm_in_browser(sdk, intent_id: str) -> dict:
    sdk.v1.payment_intents.update(intent_id, params={"payment_method": card(sdk)})
    sdk.v1.payment_intents.confirm(intent_id)
    return sdk.v1.payment_intents.retrieve(intent_id, params={"expand": ["latest_charge"]}).to_dict()


def _send(event_type: str, obj: dict, event_id: str) -> str:
    response = post_webhook(*signed_event(event_type, obj, event_id=event_id))
    assert response.status_code == 200, response.content
    return response.json()["result"]


@pytest.fixture
def waiting_member(sdk):
    """A two-seat team: the opener held, the second member waiting for their browser to confirm."""
    campaign = make_campaign(team_size=2, on_hand=10)
    code = open_team(campaign.pk, buyer=buyer(1, payment_method=card(sdk))).team.code
    return join_team(code, buyer=buyer(2))


def test_the_hold_event_twice_holds_fills_and_captures_once(sdk, waiting_member):
    intent = _confirm_in_browser(sdk, waiting_member.payment.intent_id)

    results = [_send("payment_intent.amount_capturable_updated", intent, "evt_hold_1"),
               _send("payment_intent.amount_capturable_updated", intent, "evt_hold_2")]

    assert results == ["processed", "processed"]
    order = Order.objects.get(pk=waiting_member.order.pk)
    assert order.status == OrderStatus.PAID
    assert OrderEvent.objects.filter(order=order, type=OrderEventType.GROUP_HOLD).count() == 1
    assert OrderEvent.objects.filter(order=order, type=OrderEventType.PAID).count() == 1
    assert GroupTeam.objects.get(code=waiting_member.team.code).status == GroupTeamStatus.CAPTURED
    assert sdk.v1.payment_intents.retrieve(intent["id"]).amount_received == 2500


def test_a_hold_event_before_the_join_recorded_its_intent_seats_the_member_once(sdk, waiting_member):
    intent = _confirm_in_browser(sdk, waiting_member.payment.intent_id)
    # As if the join's own bookkeeping after opening the intent had not committed yet.
    GroupMember.objects.filter(pk=waiting_member.member.pk).update(intent_id="")
    Payment.objects.filter(intent_id=intent["id"]).delete()

    assert _send("payment_intent.amount_capturable_updated", intent, "evt_early") == "processed"

    assert Payment.objects.filter(intent_id=intent["id"]).count() == 1
    member = GroupMember.objects.get(pk=waiting_member.member.pk)
    assert (member.status, member.intent_id) == (GroupMemberStatus.CAPTURED, intent["id"])


def test_a_cancel_before_the_hold_event_releases_and_the_late_hold_changes_nothing(sdk, waiting_member):
    intent = _confirm_in_browser(sdk, waiting_member.payment.intent_id)
    cancelled = sdk.v1.payment_intents.cancel(intent["id"]).to_dict()

    _send("payment_intent.canceled", cancelled, "evt_cancel")
    _send("payment_intent.amount_capturable_updated", intent, "evt_late_hold")

    member = GroupMember.objects.get(pk=waiting_member.member.pk)
    assert (member.status, member.order.status) == (GroupMemberStatus.RELEASED, OrderStatus.CANCELLED)
    assert Payment.objects.get(intent_id=intent["id"]).status == PaymentStatus.CANCELLED
    team = GroupTeam.objects.get(code=waiting_member.team.code)
    assert (team.status, team.members.filter(status=GroupMemberStatus.HELD).count()) == (GroupTeamStatus.FORMING, 1)
    assert sdk.v1.payment_intents.retrieve(intent["id"]).amount_received == 0


def test_an_expired_hold_releases_the_member(sdk, waiting_member, localstripe_url):
    intent = _confirm_in_browser(sdk, waiting_member.payment.intent_id)
    configure_localstripe(localstripe_url, "POST", f"/_config/payment_intents/{intent['id']}/expire_hold", {})
    charge = sdk.v1.charges.retrieve(intent["latest_charge"]["id"]).to_dict()

    assert _send("charge.expired", charge, "evt_expired") == "processed"
    assert _send("charge.expired", charge, "evt_expired") == "duplicate"

    member = GroupMember.objects.get(pk=waiting_member.member.pk)
    assert (member.status, member.order.status) == (GroupMemberStatus.RELEASED, OrderStatus.CANCELLED)
    assert member.order.reservations.count() == 0


def test_a_released_hold_is_never_a_customer_refund(sdk, waiting_member):
    intent = _confirm_in_browser(sdk, waiting_member.payment.intent_id)
    sdk.v1.payment_intents.cancel(intent["id"])
    # The event the fake sent for the release, as Stripe does ("amount_capturable is automatically refunded").
    charge = next(event.data.object.to_dict() for event in sdk.v1.events.list(params={"limit": 100}).auto_paging_iter()
                  if event.type == "charge.refunded" and event.data.object.to_dict().get("payment_intent") == intent["id"])
    assert (charge["captured"], charge["refunded"], charge["amount_refunded"]) == (False, True, intent["amount"])

    _send("charge.refunded", charge, "evt_released")

    order = Order.objects.get(pk=waiting_member.order.pk)
    assert (order.amount_refunded, Refund.objects.count()) == (0, 0)
    assert order.status == OrderStatus.AWAITING_GROUP


def test_the_capture_event_after_our_own_capture_pays_nothing_twice(sdk, waiting_member):
    intent = _confirm_in_browser(sdk, waiting_member.payment.intent_id)
    _send("payment_intent.amount_capturable_updated", intent, "evt_hold")
    captured = sdk.v1.payment_intents.retrieve(intent["id"]).to_dict()

    _send("payment_intent.succeeded", captured, "evt_captured")

    order = Order.objects.get(pk=waiting_member.order.pk)
    assert OrderEvent.objects.filter(order=order, type=OrderEventType.PAID).count() == 1
    assert OrderEvent.objects.filter(order=order, type=OrderEventType.DUPLICATE_PAYMENT).count() == 0
    assert Refund.objects.count() == 0
