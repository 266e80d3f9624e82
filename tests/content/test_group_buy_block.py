"""The group-buy block: a creator embeds a group buy; the content API gives readers what opening a team needs."""

import pytest

from shop.attribution import read_attribution
from tests.factories import block, make_creator, make_guide
from tests.shop.group_helpers import make_campaign

pytestmark = pytest.mark.django_db


def test_the_content_api_shows_the_group_buy_with_a_token_crediting_the_page(api_client):
    creator = make_creator("kim")
    campaign = make_campaign("GB-1", price="30.00", group_price="20.00", team_size=3)
    guide = make_guide(creator, body=[block("group_buy", {"campaign": campaign.pk, "note": "Bring two friends"},
                                            block_id="grp-1")])

    body = api_client.get(f"/api/v2/pages/{guide.pk}/").json()["body"]

    value = body[0]["value"]
    group_buy = value["group_buy"]
    assert (body[0]["type"], value["note"]) == ("group_buy", "Bring two friends")
    assert {key: group_buy[key] for key in ("id", "sku", "group_price", "list_price", "currency", "team_size",
                                            "window_hours", "active", "refusal", "open_team_url")} == {
        "id": campaign.pk, "sku": "GB-1", "group_price": "20.00", "list_price": "30.00", "currency": "USD",
        "team_size": 3, "window_hours": 24.0, "active": True, "refusal": None,
        "open_team_url": f"/api/v1/group-buys/campaigns/{campaign.pk}/teams"}
    attribution = read_attribution(group_buy["attribution"], sku="GB-1")
    assert (attribution.creator_id, attribution.page_id, attribution.block_id) == (creator.pk, guide.pk, "grp-1")


def test_the_reader_page_shows_the_group_price_and_team_size(client):
    creator = make_creator("kim")
    campaign = make_campaign("GB-1", price="30.00", group_price="20.00", team_size=3)
    guide = make_guide(creator, body=[block("group_buy", {"campaign": campaign.pk, "note": ""})])

    html = client.get(guide.url, HTTP_HOST="localhost").content.decode()

    assert "Team up: 20.00 USD" in html
    assert "when 3 people join" in html
