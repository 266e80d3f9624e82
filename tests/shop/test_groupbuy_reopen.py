"""A campaign that reopens after a failed capture: the failed seat is offered again until the deadline,
the members already charged stay charged, and a new member fills the team again (dummy gateway)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.models import GroupCampaign, GroupMemberStatus, GroupTeam, GroupTeamStatus, Order, OrderStatus, Refund
from shop.payments.dummy import DummyGateway
from shop.payments.gateway import PaymentGatewayError
from shop.services.group_holds import expire_teams
from shop.services.groupbuy import join_team, open_team, team_state
from tests.shop.group_helpers import buyer, make_campaign
from tests.shop.helpers import on_hand

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


@pytest.fixture
def reopened_team(monkeypatch) -> str:
    """A three-seat team that filled, whose second member's card could not be charged."""
    campaign = make_campaign(team_size=3, on_hand=10)
    GroupCampaign.objects.filter(pk=campaign.pk).update(reopen_after_failed_capture=True)
    real = DummyGateway.capture_hold

    def capture_hold(self, intent_id, *, idempotency_key):
        if Order.objects.filter(payments__intent_id=intent_id, email="reader2@example.com").exists():
            raise PaymentGatewayError("Your card was declined.", code="card_declined")
        return real(self, intent_id, idempotency_key=idempotency_key)

    monkeypatch.setattr(DummyGateway, "capture_hold", capture_hold)
    code = open_team(campaign.pk, buyer=buyer(1)).team.code
    join_team(code, buyer=buyer(2))
    join_team(code, buyer=buyer(3))
    return code


def _orders(code: str) -> list[tuple[str, str]]:
    return list(Order.objects.filter(group_member__team__code=code).order_by("email")
                .values_list("email", "status"))


def test_the_failed_seat_is_offered_again_and_a_new_member_fills_the_team(reopened_team, mailoutbox):
    state = team_state(reopened_team)
    assert (state.status, state.seats_left, state.members) == (GroupTeamStatus.FORMING, 1, ["Reader1", "Reader3"])
    assert _orders(reopened_team) == [("reader1@example.com", OrderStatus.PAID),
                                      ("reader2@example.com", OrderStatus.CANCELLED),
                                      ("reader3@example.com", OrderStatus.PAID)]

    joined = join_team(reopened_team, buyer=buyer(4))

    team = GroupTeam.objects.get(code=reopened_team)
    assert (team.status, joined.member.status, joined.member.seat) == (
        GroupTeamStatus.CAPTURED, GroupMemberStatus.CAPTURED, 2)
    assert [status for _email, status in _orders(reopened_team)] == [
        OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.PAID, OrderStatus.PAID]
    assert Order.objects.get(email="reader4@example.com").total == Decimal("25.00")
    filled = sorted(message.to[0] for message in mailoutbox
                    if message.subject == "Your group buy filled: you paid the group price")
    assert filled == ["reader1@example.com", "reader3@example.com", "reader4@example.com"]
    assert on_hand("GRP-1") == 7


def test_a_reopened_team_that_runs_out_of_time_keeps_the_charged_members_paid(reopened_team, mailoutbox):
    deadline = GroupTeam.objects.get(code=reopened_team).deadline

    expired = expire_teams(now=deadline + timedelta(seconds=1))

    team = GroupTeam.objects.get(code=reopened_team)
    assert (expired, team.status) == (1, GroupTeamStatus.RELEASED)
    assert _orders(reopened_team) == [("reader1@example.com", OrderStatus.PAID),
                                      ("reader2@example.com", OrderStatus.CANCELLED),
                                      ("reader3@example.com", OrderStatus.PAID)]
    assert Refund.objects.count() == 0
    assert on_hand("GRP-1") == 8
    assert [message.subject for message in mailoutbox
            if message.subject == "Your group buy did not fill"] == []  # no open member was left to release
