import csv
import io
from datetime import datetime, timedelta, timezone as tz
from decimal import Decimal

import pytest

from creators.models import LinkTarget
from creators.services.ledger import accrue_commission, reverse_commission_for_refund
from creators.services.links import create_tracked_link, record_click
from creators.services.attribution import attribute_order
from tests.creators.helpers import LineSpec, make_order, mark_paid, refund_lines
from tests.factories import make_brand, make_creator, make_guide, make_product, make_user, product_card

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"
MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=tz.utc)


def sale(creator, guide, *, price, block="blk-1", at=MARCH, email="buyer@example.com"):
    order = make_order(LineSpec(make_product(), unit_price=price, creator=creator, page_id=guide.pk, block_id=block),
                       email=email, created_at=at)
    attribute_order(order)
    mark_paid(order, at=at)
    accrue_commission(order)
    return order


@pytest.fixture
def two_creators(site_tree):
    anna, ben = make_creator("anna"), make_creator("ben")
    anna_guide, ben_guide = make_guide(anna, title="Anna's picks"), make_guide(ben, title="Ben's picks")
    link = create_tracked_link(anna, target_kind=LinkTarget.PAGE, page=anna_guide, block_id="blk-1")
    for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"):
        record_click(link, ip=ip, user_agent=PHONE, now=MARCH)
    order = sale(anna, anna_guide, price="120.00")
    sale(anna, anna_guide, price="80.00", email="secret.buyer@example.com")
    reverse_commission_for_refund(order, refund_lines(order, {order.lines.get().pk: "20.00"}),
                                  now=MARCH + timedelta(days=1))
    sale(ben, ben_guide, price="999.00", block="ben-block")
    return anna, ben, anna_guide, ben_guide


def test_a_creator_sees_clicks_orders_conversion_and_earnings_per_page_and_block(two_creators, client):
    anna, _ben, _anna_guide, _ = two_creators
    client.force_login(anna.user)

    response = client.get("/admin/earnings/")

    assert response.status_code == 200
    [row] = response.context["rows"]
    assert (row.page_title, row.block_id, row.clicks, row.orders, row.conversion_rate) == (
        "Anna's picks", "blk-1", 4, 2, Decimal("50.0"))
    assert (row.pending, row.locked, row.paid, row.currency) == (Decimal("18.00"), Decimal("0.00"), Decimal("0.00"), "USD")
    html = response.content.decode()
    assert "Ben" not in html and "999" not in html and "99.90" not in html
    assert "secret.buyer" not in html and "KS-" not in html


@pytest.mark.parametrize("path", [
    "/admin/earnings/?creator={ben}", "/admin/earnings/statement/?creator={ben}&period=2026-03",
    "/admin/earnings/statement/csv/?creator={ben}&period=2026-03",
])
def test_a_creator_cannot_see_another_creators_numbers_through_any_url(two_creators, client, path):
    anna, ben, _, _ = two_creators
    client.force_login(anna.user)

    response = client.get(path.format(ben=ben.pk))

    assert response.status_code == 403
    assert b"999" not in response.content


def test_a_user_who_is_no_creator_and_no_staff_is_refused(two_creators, client):
    from creators.services.roles import add_brand_member

    user = make_user("editorless")
    add_brand_member(user, brand=make_brand())  # a brand user: admin access, no earnings
    client.force_login(user)

    assert client.get("/admin/earnings/").status_code == 403


def test_staff_see_every_creator_and_can_filter_by_one(two_creators, client):
    anna, ben, _, _ = two_creators
    client.force_login(make_user("boss", is_superuser=True, is_staff=True))

    everyone = client.get("/admin/earnings/")
    only_ben = client.get(f"/admin/earnings/?creator={ben.pk}")
    bad = client.get("/admin/earnings/?creator=abc")

    assert {row.creator_id for row in everyone.context["rows"]} == {anna.pk, ben.pk}
    assert [(row.creator_id, row.pending) for row in only_ben.context["rows"]] == [(ben.pk, Decimal("99.90"))]
    assert bad.status_code == 400


def test_the_statement_csv_has_exact_values(two_creators, client):
    anna, *_ = two_creators
    client.force_login(anna.user)

    response = client.get("/admin/earnings/statement/csv/?period=2026-03")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="statement-anna-2026-03.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["date", "kind", "page", "block", "sale_amount", "rate", "amount", "currency", "block_id"]
    assert rows[1:3] == [  # blk-1 is on no page any more: its short id stands in for the label
        ["2026-03-10 12:00", "accrual", "Anna's picks", "block blk-1", "120.00", "0.1000", "12.00", "USD", "blk-1"],
        ["2026-03-10 12:00", "accrual", "Anna's picks", "block blk-1", "80.00", "0.1000", "8.00", "USD", "blk-1"],
    ]
    assert rows[3] == ["2026-03-11 12:00", "reversal", "Anna's picks", "block blk-1", "20.00", "0.1000", "-2.00", "USD",
                       "blk-1"]
    assert rows[4:] == [
        ["total sales", "", "", "", "", "", "200.00", "USD", ""],
        ["total commission", "", "", "", "", "", "20.00", "USD", ""],
        ["total reversals", "", "", "", "", "", "-2.00", "USD", ""],
        ["total payouts", "", "", "", "", "", "0.00", "USD", ""],
    ]


def test_the_statement_csv_names_a_block_by_its_label(site_tree, client):
    anna = make_creator("anna")
    boots = make_product(title="Trail Boots")
    guide = make_guide(anna, title="Hiking kit", body=[product_card(boots) | {"id": "card-1"}])
    order = make_order(LineSpec(boots, unit_price="50.00", creator=anna, page_id=guide.pk, block_id="card-1"),
                       created_at=MARCH)
    attribute_order(order)
    mark_paid(order, at=MARCH)
    accrue_commission(order)
    client.force_login(anna.user)

    response = client.get("/admin/earnings/statement/csv/?period=2026-03")

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == ["2026-03-10 12:00", "accrual", "Hiking kit", "Trail Boots", "50.00", "0.1000", "5.00", "USD",
                       "card-1"]


def test_the_statement_page_shows_the_month_and_rejects_a_bad_period(two_creators, client):
    anna, *_ = two_creators
    client.force_login(anna.user)

    march = client.get("/admin/earnings/statement/?period=2026-03")
    april = client.get("/admin/earnings/statement/?period=2026-04")
    bad = client.get("/admin/earnings/statement/?period=March")

    assert march.context["statement"].totals["USD"]["commission"] == Decimal("20.00")
    assert april.context["statement"].totals == {}
    assert bad.status_code == 400


def test_the_earnings_page_costs_the_same_queries_for_more_pages(two_creators, client, django_assert_max_num_queries):
    anna, _ben, anna_guide, _ = two_creators
    client.force_login(anna.user)
    client.get("/admin/earnings/")  # warm-up
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get("/admin/earnings/")
    for number in range(5):
        guide = make_guide(anna, title=f"More {number}")
        sale(anna, guide, price="10.00", block=f"b{number}")
    with CaptureQueriesContext(connection) as large:
        client.get("/admin/earnings/")

    assert len(large) == len(small)


def test_the_menu_shows_my_earnings_to_creators(two_creators, client):
    anna, *_ = two_creators
    client.force_login(anna.user)

    assert "My earnings" in client.get("/admin/").content.decode()


def test_ledger_and_payout_listings_are_staff_only(two_creators, client):
    anna, *_ = two_creators
    client.force_login(anna.user)
    assert client.get("/admin/creators/ledgerentry/").status_code in (302, 403)

    client.force_login(make_user("boss", is_superuser=True, is_staff=True))
    listing = client.get("/admin/creators/ledgerentry/")
    assert listing.status_code == 200
    assert client.get("/admin/creators/payout/").status_code == 200
    assert client.get("/admin/creators/ledgerentry/create/").status_code in (302, 403)
