"""Late payments of group prices: the one late-payment rule (``lapsed_promotion_lines``) for kind ``group``.

A filled team's members were promised the group price: their units count against the cap until the
capture pays them, however late it runs. A member released meanwhile whose hold was captured after
all is honoured only if the group price still has room for them; otherwise refunded in full, once.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.errors import Conflict
from shop.models import (
    GroupMember,
    GroupMemberStatus,
    GroupTeam,
    GroupTeamStatus,
    Order,
    OrderEventType,
    OrderStatus,
    Promotion,
    Refund,
    StockReservation,
)
from shop.payments.dummy import DummyGateway
from shop.payments.gateway import PaymentGatewayError
from shop.services import group_holds
from shop.services.groupbuy import join_team, open_team
from tests.shop.group_helpers import buyer, make_campaign
from tests.shop.helpers import on_hand
from tests.shop.late_payments import pay_by_webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


def _team_of_two(campaign, first: int, second: int) -> GroupTeam:
    code = open_team(campaign.pk, buyer=buyer(first)).team.code
    join_team(code, buyer=buyer(second))
    return GroupTeam.objects.get(code=code)


def test_a_filled_team_captured_after_its_deadline_and_the_campaign_end_is_paid(monkeypatch):
    campaign = make_campaign(team_size=2, on_hand=10, unit_cap=2)
    monkeypatch.setattr(group_holds, "capture_team", lambda team_id: None)  # the capture is slow to run
    team = _team_of_two(campaign, 1, 2)
    monkeypatch.undo()
    past = timezone.now() - timedelta(seconds=1)
    GroupTeam.objects.filter(pk=team.pk).update(deadline=past)
    Order.objects.filter(group_member__team=team).update(reserved_until=past)
    StockReservation.objects.update(expires_at=past)

    with pytest.raises(Conflict) as sold_out:
        open_team(campaign.pk, buyer=buyer(3))  # the filled team's units still count against the cap
    Promotion.objects.filter(pk=campaign.promotion_id).update(ends_at=past)
    group_holds.capture_team(team.pk)

    team.refresh_from_db()
    assert sold_out.value.code == "group_sold_out"
    assert team.status == GroupTeamStatus.CAPTURED
    assert sorted(Order.objects.filter(group_member__team=team).values_list("status", "total")) == [
        (OrderStatus.PAID, Decimal("25.00")), (OrderStatus.PAID, Decimal("25.00"))]
    assert set(GroupMember.objects.filter(team=team).values_list("status", flat=True)) == {GroupMemberStatus.CAPTURED}
    assert Refund.objects.count() == 0
    assert on_hand("GRP-1") == 8


def _capture_fails_for(monkeypatch, buyer_email: str) -> None:
    real = DummyGateway.capture_hold

    def capture_hold(self, intent_id, *, idempotency_key):
        if Order.objects.filter(payments__intent_id=intent_id, email=buyer_email).exists():
            raise PaymentGatewayError(detail="ReadTimeout: the answer was lost; Stripe captured it")
        return real(self, intent_id, idempotency_key=idempotency_key)

    monkeypatch.setattr(DummyGateway, "capture_hold", capture_hold)


def _late_capture_of(member: GroupMember, event_id: str) -> str:
    return pay_by_webhook(member.order, event_id=event_id,
                          metadata={"group_team": member.team.code, "group_member": str(member.pk)})


def test_a_capture_that_went_through_after_all_is_refunded_once_when_the_cap_is_gone(monkeypatch):
    campaign = make_campaign(team_size=2, on_hand=10, unit_cap=3)
    _capture_fails_for(monkeypatch, "reader2@example.com")
    first = _team_of_two(campaign, 1, 2)
    failed = GroupMember.objects.get(team=first, status=GroupMemberStatus.CAPTURE_FAILED)
    _team_of_two(campaign, 3, 4)  # takes the unit the failed member gave back: the cap is used up

    results = [_late_capture_of(failed, "evt_late_1"), _late_capture_of(failed, "evt_late_2"),
               _late_capture_of(failed, "evt_late_1")]

    failed.refresh_from_db()
    assert results == ["processed", "processed", "duplicate"]
    assert (failed.status, failed.order.status) == (GroupMemberStatus.CAPTURE_FAILED, OrderStatus.CANCELLED)
    assert list(Refund.objects.values_list("order_id", "amount", "automatic")) == [
        (failed.order_id, Decimal("25.00"), True)]
    assert list(failed.order.events.filter(type=OrderEventType.PROMOTION_LAPSED).values_list(
        "data__lines", flat=True)) == [[{"sku": "GRP-1", "promotion_id": campaign.promotion_id,
                                         "refusal": "sold_out"}]]
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 3
    assert on_hand("GRP-1") == 7


def test_a_capture_that_went_through_after_all_is_honoured_while_the_group_price_has_room(monkeypatch):
    campaign = make_campaign(team_size=2, on_hand=10, unit_cap=4)
    _capture_fails_for(monkeypatch, "reader2@example.com")
    first = _team_of_two(campaign, 1, 2)
    failed = GroupMember.objects.get(team=first, status=GroupMemberStatus.CAPTURE_FAILED)

    result = _late_capture_of(failed, "evt_late")

    failed.refresh_from_db()
    assert result == "processed"
    assert (failed.status, failed.order.status, failed.order.total) == (
        GroupMemberStatus.CAPTURED, OrderStatus.PAID, Decimal("25.00"))
    assert Refund.objects.count() == 0
    assert on_hand("GRP-1") == 8
