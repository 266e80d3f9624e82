"""Group buy on the reader site: the guide's block opens a team, the share page joins it, each reader
sees their own order there; bad input changes nothing (server-rendered forms, the dummy gateway)."""

from decimal import Decimal

import pytest
from django.test import Client

from shop.models import GroupMember, GroupTeam, GroupTeamStatus, Order, OrderStatus
from tests.factories import block, make_creator, make_guide
from tests.shop.group_helpers import make_campaign

pytestmark = pytest.mark.django_db

PICKUP = {"fulfilment": "pickup", "quantity": "1"}


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


@pytest.fixture
def guide_with_group_buy():
    campaign = make_campaign("GRP-1", price="30.00", group_price="20.00", team_size=2, on_hand=10)
    creator = make_creator("mia")
    guide = make_guide(creator, slug="together", body=[block("group_buy", {"campaign": campaign.pk}, "blk-1")])
    return campaign, creator, guide


def _open(client: Client, campaign, guide, **fields):
    page = client.get(guide.url).content.decode()
    token = page.split('name="ref" value="', 1)[1].split('"', 1)[0]
    return client.post(f"/group/campaigns/{campaign.pk}/open/", {**PICKUP, "ref": token, "next": guide.url, **fields})


def test_the_block_opens_a_team_and_the_share_page_shows_the_readers_own_order(guide_with_group_buy):
    campaign, creator, guide = guide_with_group_buy
    reader, stranger = Client(), Client()

    opened = _open(reader, campaign, guide, first_name="Ada Lovelace", email="ada@example.com")

    team = GroupTeam.objects.get()
    order = Order.objects.get()
    assert (opened.status_code, opened.url) == (302, f"/group/{team.code}/")
    own = reader.get(opened.url).content.decode()
    other = stranger.get(opened.url).content.decode()
    assert f"Order <a href=\"/orders/{order.number}/\">{order.number}</a>: <strong class=\"own-order-status\">" \
           f"Waiting for the group to fill</strong>, 20.00 USD." in own
    assert "Join this team" not in own and "Join this team" in other
    assert order.number not in other and "Lovelace" not in other and "<li>Ada</li>" in other
    line = order.lines.get()
    assert (line.unit_price, line.creator_id, line.page_id, line.block_id) == (
        Decimal("20.00"), creator.pk, guide.pk, "blk-1")


def test_joining_through_the_share_page_fills_the_team_and_pays_both(guide_with_group_buy,
                                                                     django_capture_on_commit_callbacks):
    campaign, _creator, guide = guide_with_group_buy
    opener, friend = Client(), Client()
    code = _open(opener, campaign, guide, first_name="Ada", email="ada@example.com").url.split("/")[2]

    with django_capture_on_commit_callbacks(execute=True):
        joined = friend.post(f"/group/{code}/join/", {**PICKUP, "first_name": "Bea", "email": "bea@example.com"})

    page = friend.get(joined.url).content.decode()
    assert joined.url == f"/group/{code}/"
    assert GroupTeam.objects.get().status == GroupTeamStatus.CAPTURED
    assert list(Order.objects.order_by("pk").values_list("email", "status", "total")) == [
        ("ada@example.com", OrderStatus.PAID, Decimal("20.00")), ("bea@example.com", OrderStatus.PAID, Decimal("20.00"))]
    assert "The team is full: everyone pays the group price." in page
    assert '<strong class="own-order-status">Paid</strong>' in page


def test_bad_or_refused_joins_say_why_and_change_nothing(guide_with_group_buy):
    campaign, _creator, guide = guide_with_group_buy
    opener = Client()
    code = _open(opener, campaign, guide, first_name="Ada", email="ada@example.com").url.split("/")[2]

    no_email = Client().post(f"/group/{code}/join/", {**PICKUP, "first_name": "Bea"}, follow=True)
    twice = Client().post(f"/group/{code}/join/", {**PICKUP, "email": "ADA@example.com"}, follow=True)
    control = Client().post(f"/group/{code}/join/", {**PICKUP, "email": "cy@example.com", "first_name": "C\x00y"},
                            follow=True)
    unknown = Client().post("/group/no-such-team/join/", {**PICKUP, "email": "cy@example.com"})
    bad_next = Client().post(f"/group/campaigns/{campaign.pk}/open/", {**PICKUP, "next": "https://evil.example/"})

    assert "Enter a valid email address." in no_email.content.decode()
    assert "You are already in an open team of this group buy." in twice.content.decode()
    assert control.status_code == 200 and "First name" in control.content.decode()
    assert unknown.status_code == 404
    assert (bad_next.status_code, bad_next.url) == (302, "/")
    assert (GroupMember.objects.count(), Order.objects.count()) == (1, 1)
