"""Every figure counts what happened: a block featuring two brands' products is clicked 9 times and
leads to 3 orders; the creator's dashboard, "Top pages", each brand's report, the staff report, its
CSV export and the day chart all count 9 clicks (never once per brand the page features)."""

from datetime import timedelta
from decimal import Decimal

import csv
import io

import pytest
from django.utils import timezone

from creators.models import LinkTarget
from creators.reports.exports import table
from creators.reports.queries import ReportFilters, build_report
from creators.reports.rollup import roll_up
from creators.services.attribution import attribute_order
from creators.services.dashboard import creator_dashboard
from creators.services.ledger import accrue_commission
from creators.services.links import create_tracked_link, record_click
from creators.services.roles import add_brand_member
from tests.creators.helpers import LineSpec, make_order, mark_paid
from tests.creators.report_fixtures import add_views
from tests.factories import make_brand, make_creator, make_guide, make_product, make_user, product_grid

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"


def paid_order(creator, guide, clicks, *lines, at):
    """An order placed from the guide's "kit" block after ``clicks[0]``, paid, commission accrued."""
    specs = [LineSpec(product, unit_price=price, quantity=quantity, creator=creator, page_id=guide.pk,
                      block_id="kit", click_id=clicks[0].pk, attributed_at=at) for product, price, quantity in lines]
    order = make_order(*specs, created_at=at)
    attribute_order(order)
    mark_paid(order, at=at)
    accrue_commission(order)
    return order


@pytest.fixture
def kit(site_tree, client):
    """6 clicks and 2 orders two days ago (rolled up), 3 clicks through /r/ and 1 order today (live)."""
    anna = make_creator("anna")
    anna.default_commission_rate = Decimal("0.10")
    anna.save()
    acme, borealis = make_brand("Acme"), make_brand("Borealis")
    boots = make_product(brand=acme, title="Trail Boots", variants=[("BOOT-1", "100.00", 50)])
    stove = make_product(brand=borealis, title="Camp Stove", variants=[("STOVE-1", "50.00", 50)])
    guide = make_guide(anna, title="Hiking kit", body=[
        product_grid([(boots, None, "boots"), (stove, None, "stove")]) | {"id": "kit"}])
    link = create_tracked_link(anna, target_kind=LinkTarget.PAGE, page=guide, block_id="kit")
    now = timezone.now()
    earlier = now - timedelta(days=2)
    old = [record_click(link, ip=f"203.0.113.{n}", user_agent=PHONE, now=earlier) for n in range(6)]
    add_views(guide.pk, anna.pk, 12, when=earlier)
    paid_order(anna, guide, old, (boots, "100.00", 1), (stove, "50.00", 1), at=earlier)  # two brands
    paid_order(anna, guide, old[1:], (boots, "100.00", 1), at=earlier)
    roll_up(now=now)
    for n in range(3):
        assert client.get(f"/r/{link.code}/", HTTP_USER_AGENT=PHONE, REMOTE_ADDR=f"198.51.100.{n + 1}").status_code == 302
    from creators.models import Click
    today = list(Click.objects.filter(clicked_at__gte=now - timedelta(minutes=5)))
    paid_order(anna, guide, today, (stove, "50.00", 2), at=timezone.now())
    return anna, guide, acme, borealis, now.date()


def test_the_dashboard_counts_each_click_once_and_agrees_with_top_pages(kit):
    anna, guide, *_ = kit

    dashboard = creator_dashboard(anna)

    week, month = dashboard.windows
    for window in (week, month):
        assert (window.clicks, window.orders, window.conversion_rate) == (9, 3, Decimal("33.33"))
        assert window.commission_by_currency == {"USD": Decimal("35.00")}
    [page] = dashboard.top_pages
    assert (page.label, page.clicks, page.orders, page.earned) == ("Hiking kit", 9, 3, {"USD": Decimal("35.00")})
    [block] = dashboard.top_blocks
    assert (block.clicks, block.orders) == (9, 3)


def test_each_brand_counts_the_blocks_clicks_once_with_its_own_orders(kit):
    anna, guide, acme, borealis, today = kit
    start = today - timedelta(days=6)

    def total(brand_ids):
        report = build_report(ReportFilters(start=start, end=today, brand_ids=brand_ids, group_by="page"))
        [row] = report.totals
        return row.views, row.clicks, row.orders, row.units, row.gmv, row.commission, row.conversion_rate

    assert total(frozenset({acme.pk})) == (12, 9, 2, 2, Decimal("200.00"), Decimal("20.00"), Decimal("22.22"))
    assert total(frozenset({borealis.pk})) == (12, 9, 2, 3, Decimal("150.00"), Decimal("15.00"), Decimal("22.22"))
    # A brand user of both brands, and staff, see the same 9 clicks and 12 views of the one page.
    both = (12, 9, 3, 5, Decimal("350.00"), Decimal("35.00"), Decimal("33.33"))
    assert total(frozenset({acme.pk, borealis.pk})) == both
    assert total(None) == both


def test_the_staff_report_rows_export_and_day_chart_count_each_click_once(kit):
    anna, guide, acme, borealis, today = kit
    start = today - timedelta(days=6)

    by_day = build_report(ReportFilters(start=start, end=today, group_by="day"))
    by_block = build_report(ReportFilters(start=start, end=today, group_by="block"))

    assert [(row.label, row.clicks, row.orders) for row in by_day.daily] == [
        ((today - timedelta(days=2)).isoformat(), 6, 2), (today.isoformat(), 3, 1)]
    # The page's views (no block), then the block's row folded (3 orders < 5), then the total.
    assert [(row.label, row.views, row.clicks, row.orders) for row in by_block.rows] == [
        ("Hiking kit › —", 12, 0, 0), ("Other (rows under 5 orders)", 0, 9, 3)]
    csv_rows = table(by_block)
    assert [row[2:6] for row in csv_rows[1:]] == [[12, 0, 0, 0], [0, 9, 0, 3], [12, 9, 0, 3]]


def test_a_member_of_both_brands_downloads_each_click_once(kit, client):
    anna, guide, acme, borealis, today = kit
    member = make_user("outfitter")
    add_brand_member(member, brand=acme)
    add_brand_member(member, brand=borealis)
    client.force_login(member)
    two_days_ago = today - timedelta(days=2)

    response = client.get("/admin/reports/brand-performance/", {
        "start": two_days_ago.isoformat(), "end": today.isoformat(), "group_by": "day", "format": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    # Day rows have 1-2 orders, so they fold into "Other"; the total is the whole story.
    assert [row[:6] + row[7:8] + row[10:11] for row in rows[1:]] == [
        ["Other (rows under 5 orders)", "USD", "12", "9", "0", "3", "350.00", "33.33"],
        ["Total", "USD", "12", "9", "0", "3", "350.00", "33.33"],
    ]


def test_the_migration_keeps_one_row_of_a_page_event_stored_per_brand(kit):
    from importlib import import_module

    from django.apps import apps

    from creators.models import DailyPerformance, ReportDirtyDay

    anna, guide, acme, borealis, today = kit
    day = today - timedelta(days=2)
    page_rows = DailyPerformance.objects.filter(day=day, product_id__isnull=True)
    [views, clicks] = sorted(page_rows, key=lambda row: row.block_id)
    for row in (views, clicks):  # what the rollup wrote before: one copy per brand the page features
        DailyPerformance.objects.filter(pk=row.pk).update(brand_id=acme.pk)
        row.pk, row.brand_id = None, borealis.pk
        row.save()
    ReportDirtyDay.objects.all().delete()

    import_module("creators.migrations.0007_figures").store_page_events_once(apps, None)

    assert sorted(page_rows.values_list("brand_id", "block_id", "views", "clicks")) == [
        (None, "", 12, 0), (None, "kit", 0, 6)]
    assert list(ReportDirtyDay.objects.values_list("day", flat=True)) == [day]
    assert creator_dashboard(anna).windows[0].clicks == 9
