"""Group buy against the fake Stripe (localstripe with the project's holds extension): real manual-capture
intents, captured on fill, cancelled on expiry, a declined card, a hold shorter than the window."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.errors import PaymentFailed
from shop.models import GroupMember, GroupMemberStatus, GroupTeam, GroupTeamStatus, Order, OrderStatus, Payment
from shop.services.buyer_identity import buyer_key
from shop.services.group_holds import expire_teams
from shop.services.groupbuy import join_team, open_team
from tests.shop.group_helpers import buyer, make_campaign
from tests.shop.helpers import card, on_hand, wait_for
from tests.support.localstripe_config import configure_localstripe

pytestmark = pytest.mark.django_db(transaction=True)


def intents_of(sdk, team_code: str) -> list:
    return [intent for intent in sdk.v1.payment_intents.list(params={"limit": 100}).data
            if intent.metadata.to_dict().get("group_team") == team_code]


def test_a_team_that_fills_is_captured_at_stripe_and_every_order_paid(sdk):
    campaign = make_campaign(team_size=3, price="30.00", group_price="20.00", on_hand=10)
    code = open_team(campaign.pk, buyer=buyer(1, payment_method=card(sdk))).team.code
    join_team(code, buyer=buyer(2, quantity=2, payment_method=card(sdk)))

    join_team(code, buyer=buyer(3, payment_method=card(sdk)))

    team = GroupTeam.objects.get(code=code)
    assert team.status == GroupTeamStatus.CAPTURED
    intents = sorted(intents_of(sdk, code), key=lambda intent: intent.amount)
    assert [(i.capture_method, i.status, i.amount_received) for i in intents] == [
        ("manual", "succeeded", 2500), ("manual", "succeeded", 2500), ("manual", "succeeded", 4500)]
    orders = Order.objects.filter(group_member__team=team)
    assert sorted((o.status, o.total) for o in orders) == [
        (OrderStatus.PAID, Decimal("25.00")), (OrderStatus.PAID, Decimal("25.00")), (OrderStatus.PAID, Decimal("45.00"))]
    assert on_hand("GRP-1") == 6


def test_a_declined_card_gives_the_seat_and_units_back(sdk):
    campaign = make_campaign(team_size=2, on_hand=10)
    code = open_team(campaign.pk, buyer=buyer(1, payment_method=card(sdk))).team.code

    with pytest.raises(PaymentFailed) as error:
        join_team(code, buyer=buyer(2, quantity=3, payment_method=card(sdk, "4000000000000002")))

    assert error.value.code == "card_declined"
    declined = GroupMember.objects.get(buyer_key=buyer_key("reader2@example.com"))
    assert (declined.status, declined.order.status) == (GroupMemberStatus.RELEASED, OrderStatus.CANCELLED)
    assert GroupTeam.objects.get(code=code).status == GroupTeamStatus.FORMING
    joined = join_team(code, buyer=buyer(2, payment_method=card(sdk)))  # the seat is free again
    assert (joined.member.seat, joined.team.status) == (2, GroupTeamStatus.CAPTURED)


def test_expiry_cancels_every_hold_at_stripe_and_captures_none(sdk):
    campaign = make_campaign(team_size=3, on_hand=10)
    code = open_team(campaign.pk, buyer=buyer(1, payment_method=card(sdk))).team.code
    join_team(code, buyer=buyer(2, payment_method=card(sdk)))

    expire_teams(now=timezone.now() + timedelta(hours=24, minutes=1))

    intents = intents_of(sdk, code)
    assert [(i.status, i.cancellation_reason, i.amount_received) for i in intents] == [
        ("canceled", "abandoned", 0), ("canceled", "abandoned", 0)]
    assert GroupTeam.objects.get(code=code).status == GroupTeamStatus.RELEASED
    assert set(Payment.objects.values_list("status", flat=True)) == {"cancelled"}
    assert on_hand("GRP-1") == 10


def test_a_hold_shorter_than_the_window_shortens_the_team(sdk, localstripe_url, stripe_settings):
    stripe_settings.KOLSHOP_GROUP_CAPTURE_MARGIN_MINUTES = 60
    configure_localstripe(localstripe_url, "POST", "/_config/holds", {"seconds": 3 * 3600})
    try:
        campaign = make_campaign(team_size=3)
        started = timezone.now()
        membership = open_team(campaign.pk, buyer=buyer(1, payment_method=card(sdk)))
    finally:
        configure_localstripe(localstripe_url, "DELETE", "/_config/holds")

    deadline = membership.team.deadline
    assert started + timedelta(hours=2) - timedelta(seconds=2) <= deadline <= timezone.now() + timedelta(hours=2)
    assert membership.member.capture_before == deadline + timedelta(hours=1)
    assert membership.order.reserved_until == deadline
    assert membership.order.reservations.get().expires_at == deadline


def test_the_browser_confirms_the_hold_and_its_webhook_seats_the_member(sdk, localstripe_webhooks, stripe_settings):
    localstripe_webhooks(["payment_intent.amount_capturable_updated", "payment_intent.succeeded"])
    campaign = make_campaign(team_size=2)
    code = open_team(campaign.pk, buyer=buyer(1, payment_method=card(sdk))).team.code
    joined = join_team(code, buyer=buyer(2))  # no card yet: the Payment Element confirms it
    assert joined.member.status == GroupMemberStatus.AUTHORISING
    intent_id = joined.payment.intent_id

    sdk.v1.payment_intents.update(intent_id, params={"payment_method": card(sdk)})
    sdk.v1.payment_intents.confirm(intent_id)

    assert wait_for(lambda: GroupTeam.objects.get(code=code).status == GroupTeamStatus.CAPTURED)
    assert sdk.v1.payment_intents.retrieve(intent_id).amount_received == 2500
    assert Order.objects.get(pk=joined.order.pk).status == OrderStatus.PAID


def test_a_failed_capture_releases_that_member_and_the_team_stays_filled(sdk, localstripe_url):
    campaign = make_campaign(team_size=3, price="30.00", group_price="20.00", on_hand=10)
    code = open_team(campaign.pk, buyer=buyer(1, payment_method=card(sdk))).team.code
    lapsed = join_team(code, buyer=buyer(2, quantity=2, payment_method=card(sdk)))
    # The hold runs out at Stripe and its webhook never reaches us.
    configure_localstripe(localstripe_url, "POST", f"/_config/payment_intents/{lapsed.payment.intent_id}/expire_hold",
                          {})

    join_team(code, buyer=buyer(3, payment_method=card(sdk)))

    team = GroupTeam.objects.get(code=code)
    members = {member.order.email: member for member in team.members.select_related("order")}
    assert team.status == GroupTeamStatus.CAPTURED
    failed = members["reader2@example.com"]
    assert (failed.status, failed.order.status, failed.failure_message) == (
        GroupMemberStatus.CAPTURE_FAILED, OrderStatus.CANCELLED, "The payment service is unavailable; try again.")
    assert [(members[key].status, members[key].order.status) for key in ("reader1@example.com", "reader3@example.com")] \
        == [(GroupMemberStatus.CAPTURED, OrderStatus.PAID)] * 2
    assert sdk.v1.payment_intents.retrieve(lapsed.payment.intent_id).amount_received == 0
    assert on_hand("GRP-1") == 8  # the failed member's 2 units are free again
    assert failed.order.reservations.count() == 0
