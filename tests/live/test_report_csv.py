"""The session report as a CSV: the page's figures, one row per item and currency; a brand's copy holds its own
products' rows and no buyer; a title a spreadsheet would run as a formula stays text; others get a 404."""

import csv
import io

import pytest
from django.test import Client

from content.live.reports import session_report
from content.live.services import pin_product, start_session
from tests.factories import make_brand, make_brand_user, make_creator, make_product
from tests.live.helpers import make_session, session_with_sales

pytestmark = pytest.mark.django_db


def _csv_as(user, page) -> tuple[int, list[list[str]]]:
    client = Client()
    client.force_login(user)
    response = client.get(f"/admin/live/{page.pk}/report/csv/")
    if response.status_code != 200:
        return response.status_code, []
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="live-session-{page.pk}-report.csv"'
    return 200, list(csv.reader(io.StringIO(response.content.decode())))


HEADER = ["Row", "Item id", "Name", "Currency", "Peak viewers", "Unique viewers", "Clicks", "Pins", "Orders", "Units",
          "GMV", "Refunds", "Net GMV", "Conversion (%)", "Deal price", "Unit cap", "Sell-through (%)"]


def test_the_creator_downloads_every_figure_of_the_report(shop_settings):
    page, deal, _, _, _ = session_with_sales(shop_settings)
    lipstick, serum = (row.product_id for row in session_report(page).pinned_products)

    status, rows = _csv_as(page.owner, page)

    assert status == 200
    assert rows == [
        HEADER,
        ["Session", str(page.pk), "Friday live", "USD", "0", "0", "0", "2", "2", "6", "116.00", "0.00", "116.00", "",
         "", "", ""],
        ["Pinned product", str(lipstick), "Lipstick", "USD", "", "", "", "1", "2", "4", "56.00", "0.00", "56.00", "",
         "", "", ""],
        ["Pinned product", str(serum), "Serum", "USD", "", "", "", "1", "1", "2", "60.00", "0.00", "60.00", "", "",
         "", ""],
        ["Flash deal", str(deal.pk), "LIP-1", "USD", "", "", "", "", "1", "3", "36.00", "0.00", "36.00", "", "12.00",
         "10", "30.00"],
    ]


def test_a_brand_downloads_its_own_products_rows_only_and_no_buyer(shop_settings):
    page, deal, _, glow, dew = session_with_sales(shop_settings)

    _, glow_rows = _csv_as(make_brand_user("glow-manager", brand=glow), page)
    _, dew_rows = _csv_as(make_brand_user("dew-manager", brand=dew), page)

    assert [(row[0], row[2], row[8], row[9], row[12]) for row in glow_rows[1:]] == [
        ("Session", "Friday live", "2", "4", "56.00"), ("Pinned product", "Lipstick", "2", "4", "56.00"),
        ("Flash deal", "LIP-1", "1", "3", "36.00")]
    assert [(row[0], row[2], row[8], row[9], row[12]) for row in dew_rows[1:]] == [
        ("Session", "Friday live", "1", "2", "60.00"), ("Pinned product", "Serum", "1", "2", "60.00")]
    for rows in (glow_rows, dew_rows):
        text = "\n".join(",".join(row) for row in rows)
        assert "@" not in text and "ada" not in text


def test_a_title_a_spreadsheet_would_run_stays_text(shop_settings):
    creator = make_creator("rex")
    product = make_product(title='=HYPERLINK("http://evil.example","x")', variants=[("EVIL-1", "5.00", 5)])
    page = make_session(creator, products=[product], title="+cmd|' /C calc'!A0")
    start_session(page)
    pin_product(page, product_id=product.pk)

    _, rows = _csv_as(creator.user, page)

    assert [(row[0], row[2]) for row in rows[1:]] == [
        ("Session", "'+cmd|' /C calc'!A0"), ("Pinned product", '\'=HYPERLINK("http://evil.example","x")')]
    assert rows[1][3:] == ["", "0", "0", "0", "1", "0", "0", "", "", "", "", "", "", ""]


def test_a_second_creator_a_second_brand_and_anonymous_get_no_csv(shop_settings):
    page, _, _, _, _ = session_with_sales(shop_settings)
    others = [make_creator("ivy").user, make_brand_user("bravo-manager", brand=make_brand("Bravo")),
              make_brand_user("brandless-manager")]

    statuses = [_csv_as(user, page)[0] for user in others]
    anonymous = Client().get(f"/admin/live/{page.pk}/report/csv/")

    assert statuses == [404, 404, 404]
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
