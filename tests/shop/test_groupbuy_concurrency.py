"""Real threads against PostgreSQL and the fake Stripe: seats, fills and expiry hold when buyers race."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from shop.errors import Conflict
from shop.models import GroupMember, GroupTeam, GroupTeamStatus, Order, OrderStatus, StockReservation
from shop.services.group_holds import expire_teams
from shop.services.groupbuy import join_team, open_team
from tests.shop.conftest import skip_unless_postgres
from tests.shop.group_helpers import buyer, make_campaign
from tests.shop.helpers import card, on_hand
from tests.shop.test_concurrency import _run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(stripe_settings):
    skip_unless_postgres()


def _intents_of(sdk, code: str) -> list:
    intents = sdk.v1.payment_intents.list(params={"limit": 100}).data
    return [intent for intent in intents if intent.metadata.to_dict().get("group_team") == code]


def _join(code: str, group_buyer, **options):
    def attempt():
        try:
            return join_team(code, buyer=group_buyer, **options).member.status
        except Conflict as error:
            return error.code
    return attempt


def test_fifty_joins_on_a_five_seat_team_seat_five_and_hold_five_cards(sdk):
    campaign = make_campaign(team_size=5, on_hand=100)
    code = open_team(campaign.pk, buyer=buyer(0, payment_method=card(sdk))).team.code
    joiners = [buyer(n, payment_method=card(sdk)) for n in range(1, 50)]

    outcomes = _run_in_threads([_join(code, joiner) for joiner in joiners], workers=16)

    # Joiners seated before the last see their hold; the last one's call captured the team. The rest
    # are 409s: team_full while the last seats were still authorising, team_closed once it filled.
    assert len([o for o in outcomes if o in ("held", "captured")]) == 4
    assert len([o for o in outcomes if o in ("team_full", "team_closed")]) == 45
    team = GroupTeam.objects.get(code=code)
    assert (team.status, team.members.count()) == (GroupTeamStatus.CAPTURED, 5)
    assert sorted(team.members.values_list("seat", flat=True)) == [1, 2, 3, 4, 5]
    intents = _intents_of(sdk, code)
    assert [(intent.status, intent.amount_received) for intent in intents] == [("succeeded", 2500)] * 5
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 5
    assert Order.objects.exclude(status=OrderStatus.PAID).count() == 0
    assert on_hand("GRP-1") == 95
    assert StockReservation.objects.count() == 0


def test_the_fill_racing_the_expiry_job_ends_one_way_only(sdk):
    campaign = make_campaign(team_size=2, on_hand=100)
    codes = [open_team(campaign.pk, buyer=buyer(f"a{n}", payment_method=card(sdk))).team.code for n in range(6)]
    GroupTeam.objects.update(deadline=timezone.now() + timedelta(seconds=30))
    deadline = GroupTeam.objects.values_list("deadline", flat=True).first()
    jobs = []
    for n, code in enumerate(codes):
        jobs.append(_join(code, buyer(f"b{n}", payment_method=card(sdk)), now=deadline - timedelta(seconds=1)))
        jobs.append(lambda: expire_teams(now=deadline + timedelta(seconds=1)))

    _run_in_threads(jobs, workers=12)
    expire_teams(now=deadline + timedelta(seconds=2))  # what a later run of the job finds

    for code in codes:
        team = GroupTeam.objects.get(code=code)
        statuses = sorted((intent.status, intent.amount_received) for intent in _intents_of(sdk, code))
        if team.status == GroupTeamStatus.CAPTURED:
            assert statuses == [("succeeded", 2500), ("succeeded", 2500)]
        else:
            assert team.status == GroupTeamStatus.RELEASED
            assert {status for status, _ in statuses} == {"canceled"}
            assert {received for _, received in statuses} == {0}  # 0 captures after the deadline
    open_holds = [intent for code in codes for intent in _intents_of(sdk, code) if intent.status == "requires_capture"]
    assert open_holds == []  # 0 holds left open after the expiry job
    assert not GroupMember.objects.filter(status__in=["authorising", "held"]).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM shop_stockreservation")
        assert cursor.fetchone()[0] == 0
