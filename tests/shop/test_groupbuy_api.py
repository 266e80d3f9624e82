"""/api/v1/group-buys/ with the dummy gateway: open, join through the share code, read a team; attribution
carried to every member's line; errors as {code, message, field}; query counts."""

import pytest

from creators.models import LedgerEntry, OrderLineAttribution
from shop.attribution import Attribution, sign_attribution
from shop.models import GroupTeam, Order, OrderLine, OrderStatus
from tests.factories import make_creator
from tests.shop.group_helpers import make_campaign

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
           "country": "US"}


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


def _body(n: int, **extra) -> dict:
    return {"email": f"reader{n}@example.com", "name": f"Reader{n} Surname", "address": ADDRESS, **extra}


def test_open_join_and_read_a_team_through_the_api(api):
    campaign = make_campaign(team_size=3, price="30.00", group_price="20.00")

    opened = api.post(f"/group-buys/campaigns/{campaign.pk}/teams", _body(1, quantity=2))
    code = opened.json()["team"]["code"]
    joined = api.post(f"/group-buys/teams/{code}/members", _body(2))
    state = api.get(f"/group-buys/teams/{code}")

    assert (opened.status_code, joined.status_code, state.status_code) == (201, 201, 200)
    body = opened.json()
    assert (body["member_status"], body["order"]["status"], body["order"]["total"]) == ("held", "awaiting_group",
                                                                                        "45.00")
    assert body["order"]["lines"][0]["unit_price"] == "20.00"
    assert body["payment"]["gateway"] == "dummy"
    team = state.json()
    assert {key: team[key] for key in ("status", "seats", "seats_left", "members", "group_price", "list_price",
                                       "sku", "share_path")} == {
        "status": "forming", "seats": 3, "seats_left": 1, "members": ["Reader1", "Reader2"],
        "group_price": "20.00", "list_price": "30.00", "sku": "GRP-1", "share_path": f"/group/{code}/"}
    assert "Surname" not in state.content.decode() and "reader1@" not in state.content.decode()


@pytest.mark.django_db  # the site tree a creator needs; the capture deferred to commit is run below
def test_the_buy_link_of_the_team_credits_its_creator_on_every_members_line(api, site_tree,
                                                                           django_capture_on_commit_callbacks):
    anna = make_creator("anna")
    campaign = make_campaign(team_size=2, price="30.00", group_price="20.00")
    token = sign_attribution(Attribution(creator_id=anna.pk, page_id=7, block_id="grp"), sku="GRP-1")
    code = api.post(f"/group-buys/campaigns/{campaign.pk}/teams", _body(1, attribution=token)).json()["team"]["code"]

    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/group-buys/teams/{code}/members", _body(2))

    lines = OrderLine.objects.order_by("pk")
    assert [(line.creator_id, line.page_id, line.block_id) for line in lines] == [(anna.pk, 7, "grp")] * 2
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.PAID}
    assert list(OrderLineAttribution.objects.values_list("creator_id", flat=True)) == [anna.pk, anna.pk]
    assert LedgerEntry.objects.filter(kind="accrual").count() == 2  # commission accrues at capture


def test_joining_errors_are_json_and_change_nothing(api):
    campaign = make_campaign(team_size=2)
    code = api.post(f"/group-buys/campaigns/{campaign.pk}/teams", _body(1)).json()["team"]["code"]
    api.post(f"/group-buys/teams/{code}/members", _body(2))

    full = api.post(f"/group-buys/teams/{code}/members", _body(3))
    unknown = api.post("/group-buys/teams/nope/members", _body(3))
    no_campaign = api.post("/group-buys/campaigns/999999/teams", _body(3))
    bad_quantity = api.post(f"/group-buys/campaigns/{campaign.pk}/teams", _body(3, quantity=0))
    forged = api.post(f"/group-buys/campaigns/{campaign.pk}/teams", _body(3, attribution="forged"))

    assert [(r.status_code, r.json()["code"], r.json()["field"]) for r in (full, unknown, no_campaign, bad_quantity,
                                                                           forged)] == [
        (409, "team_closed", "code"), (404, "team_not_found", "code"), (404, "campaign_not_found", "campaign"),
        (400, "invalid_quantity", "quantity"), (400, "invalid_attribution", "attribution")]
    assert Order.objects.count() == 2
    assert GroupTeam.objects.count() == 1


@pytest.mark.parametrize("members", [1, 4])
def test_reading_a_team_costs_the_same_queries_at_any_size(api, django_assert_num_queries, members):
    campaign = make_campaign(team_size=5)
    code = api.post(f"/group-buys/campaigns/{campaign.pk}/teams", _body(0)).json()["team"]["code"]
    for n in range(1, members):
        api.post(f"/group-buys/teams/{code}/members", _body(n))
    api.get(f"/group-buys/teams/{code}")  # warm-up

    with django_assert_num_queries(2):  # the team with campaign, promotion, variant, product; its members
        response = api.get(f"/group-buys/teams/{code}")

    assert len(response.json()["members"]) == members


def test_the_share_page_shows_first_names_seats_left_and_a_qr_code(api, client):
    campaign = make_campaign(team_size=3, price="30.00", group_price="20.00")
    code = api.post(f"/group-buys/campaigns/{campaign.pk}/teams", _body(1)).json()["team"]["code"]

    page = client.get(f"/group/{code}/")
    qr = client.get(f"/group/{code}/qr.png")
    missing = client.get("/group/nope/")

    html = page.content.decode()
    assert (page.status_code, qr.status_code, qr["Content-Type"], missing.status_code) == (200, 200, "image/png", 404)
    assert "<li>Reader1</li>" in html and "2 seats left" in html and "20.00 USD" in html
    assert "Surname" not in html and "reader1@example.com" not in html
