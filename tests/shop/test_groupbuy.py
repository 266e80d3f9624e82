"""Group buy with the dummy gateway (holds placed at once): teams open, fill, capture, expire and release."""

from dataclasses import replace
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
    OrderStatus,
    PaymentStatus,
    StockReservation,
)
from shop.services.cart import PromotionUnavailable, add_to_cart
from shop.services.group_holds import expire_teams
from shop.services.groupbuy import join_team, open_team, team_state
from shop.services.expiry import release_expired_reservations
from shop.services.reservations import available_quantities
from tests.shop.group_helpers import buyer, make_campaign
from tests.shop.helpers import cart_with, on_hand

# Captures and releases run after commit, as in production: the tests commit too.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


def test_opening_a_team_holds_units_and_card_at_the_group_price():
    campaign = make_campaign(team_size=3, on_hand=10)

    membership = open_team(campaign.pk, buyer=buyer(1, quantity=2, name="Ada Lovelace"))

    order = membership.order
    assert (membership.member.status, membership.member.seat, membership.team.status) == (
        GroupMemberStatus.HELD, 1, GroupTeamStatus.FORMING)
    assert (order.status, order.subtotal, order.shipping_total, order.total) == (
        OrderStatus.AWAITING_GROUP, Decimal("40.00"), Decimal("5.00"), Decimal("45.00"))
    line = order.lines.get()
    assert (line.unit_price, line.list_unit_price, line.promotion_id) == (
        Decimal("20.00"), Decimal("30.00"), campaign.promotion_id)
    assert order.reserved_until == membership.team.deadline
    assert StockReservation.objects.get(order=order).expires_at == membership.team.deadline
    assert available_quantities([line.variant_id]) == {line.variant_id: 8}
    assert membership.payment.status == PaymentStatus.PENDING
    state = team_state(membership.team.code)
    assert (state.members, state.seats, state.seats_left) == (["Ada"], 3, 2)


def test_the_member_who_fills_the_team_gets_everyone_charged_and_paid(mailoutbox):
    campaign = make_campaign(team_size=3, on_hand=10)
    code = open_team(campaign.pk, buyer=buyer(1)).team.code
    join_team(code, buyer=buyer(2, quantity=2))

    last = join_team(code, buyer=buyer(3))

    team = GroupTeam.objects.get(code=code)
    assert (team.status, last.member.status) == (GroupTeamStatus.CAPTURED, GroupMemberStatus.CAPTURED)
    orders = Order.objects.filter(group_member__team=team).order_by("group_member__seat")
    assert [(o.status, o.total) for o in orders] == [
        (OrderStatus.PAID, Decimal("25.00")), (OrderStatus.PAID, Decimal("45.00")), (OrderStatus.PAID, Decimal("25.00"))]
    assert {p.status for o in orders for p in o.payments.all()} == {PaymentStatus.SUCCEEDED}
    assert on_hand("GRP-1") == 6
    assert StockReservation.objects.count() == 0
    filled = [message for message in mailoutbox if message.subject == "Your group buy filled: you paid the group price"]
    confirmations = [message for message in mailoutbox if message not in filled]
    assert sorted(message.to[0] for message in filled) == [
        "reader1@example.com", "reader2@example.com", "reader3@example.com"]
    # Each paid order also gets its ordinary confirmation (lines, totals, private link).
    assert sorted(message.to[0] for message in confirmations) == [
        "reader1@example.com", "reader2@example.com", "reader3@example.com"]
    assert all(order.number in message.subject or order.number in message.body
               for order, message in zip(sorted(orders, key=lambda o: o.email),
                                         sorted(confirmations, key=lambda m: m.to[0])))


def test_a_filled_team_takes_no_more_members():
    campaign = make_campaign(team_size=2)
    code = open_team(campaign.pk, buyer=buyer(1)).team.code
    join_team(code, buyer=buyer(2))

    with pytest.raises(Conflict) as error:
        join_team(code, buyer=buyer(3))

    assert error.value.code == "team_closed"
    assert GroupMember.objects.count() == 2


def test_a_buyer_has_one_open_team_per_campaign_however_they_type_their_email():
    campaign = make_campaign(team_size=3)
    open_team(campaign.pk, buyer=buyer(1))
    other = open_team(campaign.pk, buyer=buyer(2)).team.code

    with pytest.raises(Conflict) as error:
        join_team(other, buyer=replace(buyer(1), email=" READER1@Example.com"))

    assert error.value.code == "already_in_team"
    assert GroupTeam.objects.get(code=other).members.count() == 1


def test_the_reservation_sweep_leaves_group_orders_alone():
    campaign = make_campaign(team_size=3)
    order = open_team(campaign.pk, buyer=buyer(1)).order

    assert release_expired_reservations(now=timezone.now() + timedelta(hours=1)) == 0

    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_GROUP
    assert StockReservation.objects.filter(order=order).count() == 1


def test_expiry_releases_every_hold_and_frees_the_stock(mailoutbox):
    campaign = make_campaign(team_size=3, on_hand=10)
    code = open_team(campaign.pk, buyer=buyer(1, quantity=2)).team.code
    join_team(code, buyer=buyer(2))

    assert expire_teams(now=timezone.now() + timedelta(hours=25)) == 1

    team = GroupTeam.objects.get(code=code)
    assert team.status == GroupTeamStatus.RELEASED
    assert set(team.members.values_list("status", flat=True)) == {GroupMemberStatus.RELEASED}
    orders = Order.objects.filter(group_member__team=team)
    assert set(orders.values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    assert {p.status for o in orders for p in o.payments.all()} == {PaymentStatus.CANCELLED}
    assert StockReservation.objects.count() == 0
    assert on_hand("GRP-1") == 10
    assert expire_teams(now=timezone.now() + timedelta(hours=26)) == 0
    assert sorted((message.to[0], message.subject) for message in mailoutbox) == [
        ("reader1@example.com", "Your group buy did not fill"), ("reader2@example.com", "Your group buy did not fill")]


def test_a_team_past_its_deadline_cannot_be_joined_even_before_the_job_runs():
    campaign = make_campaign(team_size=3)
    code = open_team(campaign.pk, buyer=buyer(1)).team.code

    with pytest.raises(Conflict) as error:
        join_team(code, buyer=buyer(2), now=timezone.now() + timedelta(hours=24, seconds=1))

    assert error.value.code == "team_closed"


def test_the_group_price_is_not_for_an_ordinary_cart():
    campaign = make_campaign(team_size=3)
    cart = cart_with()

    with pytest.raises(PromotionUnavailable) as error:
        add_to_cart(cart, sku="GRP-1", quantity=1, promotion_id=campaign.promotion_id)

    assert error.value.code == "promotion_group_only"


def test_new_buyers_only_refuses_a_buyer_with_a_paid_order():
    campaign = make_campaign(team_size=2, new_buyers_only=True)
    code = open_team(campaign.pk, buyer=buyer(1)).team.code
    join_team(code, buyer=buyer(2))  # reader2 has now paid an order
    second = make_campaign("GRP-2", team_size=2, new_buyers_only=True)

    with pytest.raises(Conflict) as error:
        open_team(second.pk, buyer=buyer(2))

    assert (error.value.code, error.value.field) == ("new_buyers_only", "email")


def test_caps_on_teams_units_and_per_buyer_quantity():
    campaign = make_campaign(team_size=3, team_cap=1, unit_cap=5, per_buyer_limit=2)
    code = open_team(campaign.pk, buyer=buyer(1, quantity=2)).team.code

    with pytest.raises(Conflict) as team_cap:
        open_team(campaign.pk, buyer=buyer(2))
    with pytest.raises(Conflict) as per_buyer:
        join_team(code, buyer=buyer(3, quantity=3))
    join_team(code, buyer=buyer(4, quantity=2))
    with pytest.raises(Conflict) as sold_out:
        join_team(code, buyer=buyer(5, quantity=2))  # 2 + 2 + 2 would pass the cap of 5

    assert [team_cap.value.code, per_buyer.value.code, sold_out.value.code] == [
        "team_cap", "promotion_limit", "group_sold_out"]
    assert GroupMember.objects.filter(status=GroupMemberStatus.HELD).count() == 2
