"""Brands see reader-share sales as a channel in their reports: aggregates only, their brands only,
nothing under 5 orders."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from creators.reports.channels import ChannelFigures
from creators.reports.exports import channels_to_csv
from creators.services.roles import add_brand_member
from tests.factories import make_brand, make_creator, make_guide, make_product, make_user
from tests.readers.reward_helpers import buy_through, share_of

pytestmark = pytest.mark.django_db
URL = "/admin/reports/brand-performance/"


def _channel_rows(response) -> list[str]:
    table = re.search(r'<table class="listing" id="brand-channels">.*?</table>', response.content.decode(), re.S)
    if table is None:
        return []
    return [re.sub(r"<[^>]+>", "|", row).replace("||", "|").strip("|")
            for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", table[0], re.S)]


@pytest.fixture
def shop_floor(site_tree, settings):
    settings.KOLSHOP_READER_REWARD_RULES = {**settings.KOLSHOP_READER_REWARD_RULES, "per_visitor_per_day": None}
    acme, other = make_brand("Acme"), make_brand("Other")
    lamp = make_product(brand=acme, title="Arc lamp", variants=[("ARC-1", "40.00", 50)])
    guide = make_guide(make_creator("maya"), title="Desk lamps")
    acme_user, other_user = make_user("acme-manager"), make_user("other-manager")
    add_brand_member(acme_user, brand=acme)
    add_brand_member(other_user, brand=other)
    return guide, lamp, acme_user, other_user


def test_reader_share_sales_are_a_channel_row_for_the_brand_only(client, shop_floor):
    guide, lamp, acme_user, other_user = shop_floor
    link = share_of(guide)
    for n in range(5):
        buy_through(link, lamp, email=f"friend{n}@example.com", quantity=2)
    today = timezone.now().date().isoformat()

    client.force_login(acme_user)
    acme = _channel_rows(client.get(URL, {"start": today, "end": today}))
    client.force_login(other_user)
    other = _channel_rows(client.get(URL, {"start": today, "end": today}))

    assert acme == ["Reader shares|USD|5|10|400.00|0.00|400.00"]
    assert other == []


def test_fewer_than_five_shared_orders_show_no_channel_row(client, shop_floor):
    guide, lamp, acme_user, _ = shop_floor
    link = share_of(guide)
    for n in range(4):
        buy_through(link, lamp, email=f"friend{n}@example.com")
    today = timezone.now().date().isoformat()

    client.force_login(acme_user)
    assert _channel_rows(client.get(URL, {"start": today, "end": today})) == []


def test_the_channels_csv_holds_the_same_aggregates_and_folds_small_rows(client, shop_floor):
    guide, lamp, acme_user, other_user = shop_floor
    link = share_of(guide)
    for n in range(5):
        buy_through(link, lamp, email=f"friend{n}@example.com", quantity=2)
    today = timezone.now().date().isoformat()

    client.force_login(acme_user)
    acme = client.get(URL, {"start": today, "end": today, "format": "channels-csv"})
    client.force_login(other_user)
    other = client.get(URL, {"start": today, "end": today, "format": "channels-csv"})

    assert acme["Content-Type"] == "text/csv; charset=utf-8"
    day = today.replace("-", "")
    assert acme["Content-Disposition"].startswith('attachment; filename="brand-channels-')
    assert acme["Content-Disposition"].endswith(f'-{day}-{day}.csv"')
    assert acme.content.decode().splitlines() == [
        "Channel,Currency,Orders,Units,GMV,Refunds,Net GMV", "Reader shares,USD,5,10,400.00,0.00,400.00"]
    assert other.content.decode().splitlines() == ["Channel,Currency,Orders,Units,GMV,Refunds,Net GMV"]


def test_a_channel_label_that_looks_like_a_formula_is_escaped():
    row = ChannelFigures("=HYPERLINK(\"x\")", "USD", 5, 5, Decimal("10.00"), Decimal("0.00"))

    assert channels_to_csv([row]).splitlines()[1] == "\"'=HYPERLINK(\"\"x\"\")\",USD,5,5,10.00,0.00,10.00"
