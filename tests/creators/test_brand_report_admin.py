"""The brand report screen and its exports: isolation between brands, no personal data, exact values."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from creators.reports.rollup import roll_up
from creators.services.roles import add_brand_member
from tests.creators.report_fixtures import NOW, build_world
from tests.factories import make_brand, make_product, make_user

pytestmark = pytest.mark.django_db
URL = "/admin/reports/brand-performance/"
RANGE = {"start": "2026-11-20", "end": "2026-11-20"}


@pytest.fixture
def world():
    world = build_world()
    roll_up(now=NOW)
    return world


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_brand_user_sees_their_figures_on_screen_and_in_both_exports(client, world):
    client.force_login(world.acme_user)

    screen = client.get(URL, RANGE)
    exported = csv_rows(client.get(URL, {**RANGE, "format": "csv"}))
    workbook = load_workbook(io.BytesIO(client.get(URL, {**RANGE, "format": "xlsx"}).content))

    assert screen.status_code == 200
    html = screen.content.decode()
    assert "Mia" in html and "600.00" in html and "56.00" in html and "<svg" in html
    assert exported == [
        ["Row", "Currency", "Views", "Clicks", "Add-to-carts", "Orders", "Units", "GMV", "Refunds", "Net GMV",
         "Conversion rate (%)", "EPC", "Commission owed"],
        ["Mia", "USD", "10", "8", "3", "6", "6", "600.00", "40.00", "560.00", "75.00", "7.00", "56.00"],
        ["Total", "USD", "10", "8", "3", "6", "6", "600.00", "40.00", "560.00", "75.00", "7.00", "56.00"],
    ]
    sheet_rows = [[str(cell) if cell is not None else "" for cell in row] for row in workbook.active.iter_rows(values_only=True)]
    assert [row[0] for row in sheet_rows] == ["Row", "Mia", "Total"]
    assert float(sheet_rows[1][7]) == 600.0 and float(sheet_rows[1][12]) == 56.0


@pytest.mark.parametrize("group_by", ["creator", "page", "block", "product", "day"])
@pytest.mark.parametrize("export", [None, "csv", "xlsx"])
@pytest.mark.parametrize("asks_for_brand_b", [True, False])
def test_brand_a_never_sees_brand_b_through_any_grouping_filter_or_export(client, world, group_by, export,
                                                                         asks_for_brand_b):
    client.force_login(world.acme_user)
    params = {**RANGE, "group_by": group_by}
    if asks_for_brand_b:
        params["brand"] = world.globex_product.brand_id
    if export:
        params["format"] = export

    response = client.get(URL, params)

    assert response.status_code == (400 if asks_for_brand_b else 200)
    if export == "xlsx" and response.status_code == 200:
        text = str(list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)))
    else:
        text = response.content.decode()
    assert "Globex" not in text
    assert not re.search(r"(?<![\d.])(50\.00|650\.00|50\.0\b)", text)  # brand B's only sale


def test_no_buyer_data_or_order_number_appears_anywhere(client, world):
    admin = make_user("root", is_superuser=True, is_staff=True)
    secrets = [order.email for order in world.orders] + [order.number for order in world.orders]
    for user in (world.acme_user, admin):
        client.force_login(user)
        for group_by in ("creator", "page", "block", "product", "day"):
            for export in (None, "csv"):
                params = {**RANGE, "group_by": group_by, **({"format": export} if export else {})}
                text = client.get(URL, params).content.decode()
                assert not any(secret in text for secret in secrets), (user, group_by, export)


def test_a_brand_with_no_sales_gets_an_empty_report(client, world):
    other_brand = make_brand("Initech")
    make_product(brand=other_brand)
    user = make_user("initech")
    add_brand_member(user, brand=other_brand)
    client.force_login(user)

    assert csv_rows(client.get(URL, {**RANGE, "format": "csv"}))[1:] == []


def test_creators_and_anonymous_users_are_refused(client, world):
    assert client.get(URL).status_code == 302  # to the login page
    client.force_login(world.creator.user)
    response = client.get(URL, RANGE)
    assert response.status_code in (302, 403)
    assert "600.00" not in response.content.decode()


@pytest.mark.parametrize("params", [{"start": "2026-11-21", "end": "2026-11-20"}, {"start": "not-a-date"},
                                    {"group_by": "buyer"}, {"start": "2024-01-01", "end": "2026-01-01"}])
def test_bad_filters_are_a_400_with_the_reason(client, world, params):
    client.force_login(world.acme_user)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_the_report_costs_the_same_queries_for_one_or_many_rows(client, world, django_assert_num_queries):
    from django.db import connection

    from tests.creators.report_fixtures import add_views

    # The page's own reads (session, user, permissions, brands, menus) plus the report's: the rollup's state
    # (one query, no stale-day probe after this release's run), events, daily sums, labels and the folded row;
    # SQLite reads each grouping with its own query, PostgreSQL all three with GROUPING SETS.
    expected = 21 if connection.vendor == "sqlite" else 17
    client.force_login(world.acme_user)
    client.get(URL, RANGE)  # warm-up
    with django_assert_num_queries(expected):
        client.get(URL, RANGE)
    add_views(world.guide_id, world.creator.pk, 200)
    roll_up(now=NOW.replace(day=26))
    with django_assert_num_queries(expected):
        client.get(URL, RANGE)
