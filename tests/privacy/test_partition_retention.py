"""Retention on PostgreSQL drops whole monthly partitions of clicks and page views, and only months
already rolled up and past the retention window; the figures read the same afterwards."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest

from creators.models import Click, OrderLineAttribution, PageView, TrackedLink
from creators.reports.rollup import roll_up
from creators.services.links import with_link_figures
from operations.partitions import month_partitions
from privacy.services.retention import enforce_retention
from tests.creators.report_fixtures import DAY, add_clicks, add_views, build_world
from tests.privacy.test_erasure import books

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

UTC = dt_timezone.utc
ROLLED = datetime(2027, 1, 5, tzinfo=UTC)  # the rollup has built every day through 4 January 2027
# 395 days of retention before 5 January 2028 reach back to 6 December 2026: November goes whole, January stays
LATER = datetime(2028, 1, 5, tzinfo=UTC)


def months(table: str) -> list[str]:
    return [partition.name for partition in month_partitions(table)]


def link_figures() -> dict[str, tuple[int, int]]:
    return {link.code: (link.click_count, link.order_count) for link in with_link_figures(TrackedLink.objects.all())}


def test_retention_drops_the_rolled_up_months_past_the_window_and_the_figures_stay():
    world = build_world()  # November 2026
    january = datetime(2027, 1, 10, tzinfo=UTC)
    add_clicks(TrackedLink.objects.get(code="acme-blk"), 3, when=january)
    add_views(world.guide_id, world.creator.pk, 4, when=january)
    roll_up(now=ROLLED)
    before_books, before_links = books(world), link_figures()
    in_ledger = set(OrderLineAttribution.objects.exclude(click=None).values_list("click_id", flat=True))

    result = enforce_retention(now=LATER)

    assert "creators_click_p2026_11" not in months("creators_click")
    assert "creators_pageview_p2026_11" not in months("creators_pageview")
    assert result["click_retention"] == 3 + 10  # November's clicks no order line names, and its views
    assert set(Click.objects.filter(clicked_at__lt=january).values_list("pk", flat=True)) == in_ledger
    assert Click.objects.filter(clicked_at__gte=january).count() == 3
    assert PageView.objects.count() == 4
    assert books(world) == before_books
    assert link_figures() == before_links == {"acme-blk": (11, 6), "glbx-blk": (2, 1)}


def test_the_ledgers_clicks_outlive_their_month_and_attribution_still_reads_them():
    world = build_world()
    roll_up(now=ROLLED)

    enforce_retention(now=LATER)

    codes = sorted(OrderLineAttribution.objects.filter(order_id__in=[o.pk for o in world.orders])
                   .values_list("click__link__code", flat=True))
    assert "creators_click_p2026_11" not in months("creators_click")
    assert codes == ["acme-blk"] * 6 + ["glbx-blk"]


def test_a_month_not_yet_rolled_up_keeps_its_partition():
    build_world()

    result = enforce_retention(now=DAY + timedelta(days=800))

    assert "creators_click_p2026_11" in months("creators_click")
    assert "creators_pageview_p2026_11" in months("creators_pageview")
    assert (result["click_retention"], Click.objects.count(), PageView.objects.count()) == (0, 10, 10)
