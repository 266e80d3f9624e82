"""A reader shares a group-buy team: a /r/<code> of its own (target "team") that opens the team's page and
credits the sharer when a friend joins through it and the team fills."""

from decimal import Decimal

import pytest
from django.test import Client

from creators.models import Click, LinkKind, LinkTarget, TrackedLink
from readers.models import RewardEntry
from readers.services.shares import share
from shop.attribution import REFERRAL_COOKIE
from shop.errors import Conflict, InvalidInput, NotFound
from shop.models import GroupTeam, Order, OrderStatus
from shop.services.groupbuy import open_team
from tests.creators.helpers import PHONE
from tests.readers.helpers import ADDRESS, post_json, sign_in
from tests.readers.reward_helpers import make_reader
from tests.shop.group_helpers import buyer, make_campaign

pytestmark = pytest.mark.django_db

def test_a_reader_shares_their_team_through_the_api(client, ask, team):
    sign_in(client, ask, "reader1@example.com")

    first = post_json(client, "/api/v1/account/shares", {"team_code": team.code})
    again = post_json(client, "/api/v1/account/shares", {"team_code": team.code})

    link = TrackedLink.objects.get()
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {
        "code": link.code, "url": f"http://testserver/r/{link.code}/", "target_kind": "team", "page_id": team.page_id,
        "product_id": None, "team_code": team.code, "click_count": 0, "order_count": 0}
    assert (link.kind, link.target_kind, link.creator.handle, link.block_id) == (
        LinkKind.READER_SHARE, LinkTarget.TEAM, "maya", "grp")


def test_following_a_team_share_opens_the_team_page_and_sets_the_referral(team):
    link = share(make_reader("reader1@example.com"), team_code=team.code)
    friend = Client(headers={"User-Agent": PHONE}, REMOTE_ADDR="198.51.100.60")

    followed = friend.get(f"/r/{link.code}/")
    page = friend.get(followed.url)

    assert followed.status_code == 302 and followed.url.startswith(f"/group/{team.code}/?ref=")
    assert page.status_code == 200
    assert REFERRAL_COOKIE in friend.cookies
    assert Click.objects.get().link_id == link.pk


def test_a_friend_joining_through_the_team_share_earns_the_sharer_when_the_team_fills(
        team, django_capture_on_commit_callbacks):
    link = share(make_reader("reader1@example.com"), team_code=team.code)
    friend = Client(headers={"User-Agent": PHONE}, REMOTE_ADDR="198.51.100.61")
    friend.get(f"/r/{link.code}/")

    with django_capture_on_commit_callbacks(execute=True):
        joined = post_json(friend, f"/api/v1/group-buys/teams/{team.code}/members",
                           {"email": "bo@example.com", "name": "Bo Friend", "address": ADDRESS})

    assert joined.status_code == 201, joined.content
    order = Order.objects.get(email="bo@example.com")
    assert (order.status, order.referral_click_id) == (OrderStatus.PAID, Click.objects.get().pk)
    entry = RewardEntry.objects.get()  # none on the opener's own order
    assert (entry.kind, entry.amount, entry.base_amount, entry.order_id, entry.link_id) == (
        "accrual", Decimal("1.20"), Decimal("24.00"), order.pk, link.pk)
    assert entry.reader.email == "reader1@example.com"


def test_only_known_open_teams_opened_on_a_creators_guide_are_shared(team, site_tree):
    reader = make_reader("reader1@example.com")
    plain = open_team(make_campaign("GRP-2", team_size=2).pk, buyer=buyer(3)).team  # no creator's block

    with pytest.raises(NotFound):
        share(reader, team_code="nope")
    with pytest.raises(InvalidInput):
        share(reader, team_code=plain.code)
    GroupTeam.objects.filter(pk=team.pk).update(status="expired")
    with pytest.raises(Conflict):
        share(reader, team_code=team.code)
    assert TrackedLink.objects.count() == 0


def test_the_account_page_offers_to_share_a_forming_team_and_the_button_makes_the_link(client, ask, team):
    sign_in(client, ask, "reader1@example.com")

    page = client.get("/account/").content.decode()
    made = client.post("/account/share/", {"team": team.code})

    assert f'<input type="hidden" name="team" value="{team.code}"><button type="submit">Share this team</button>' in page
    link = TrackedLink.objects.get()
    assert made["Location"] == "/account/"
    assert (link.target_kind, link.team_code) == (LinkTarget.TEAM, team.code)
    assert f"/r/{link.code}/" in client.get("/account/").content.decode()
