"""A session's clicks: clicks on the session page's links, counted by the brand report's one rule (rolled-up
days, then raw clicks), so a brand counts its own products' clicks and a retention purge changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from content.live.reports import session_report
from creators.models import Click
from creators.reports.rollup import roll_up
from creators.services.links import create_tracked_link, record_click
from privacy.services.retention import enforce_retention
from tests.creators.helpers import READER_AGENT
from tests.factories import make_guide, make_product, product_card
from tests.live.helpers import make_session, two_brand_session

pytestmark = pytest.mark.django_db


def _clicks(link, count: int, *, when) -> None:
    for n in range(count):
        assert record_click(link, ip=f"203.0.113.{n + 1}", user_agent=READER_AGENT, now=when) is not None


def test_the_report_counts_clicks_on_the_sessions_links_per_brand_and_after_a_purge(settings):
    creator, glow, dew, lipstick, serum, page = two_brand_session(stock=5)
    other = make_guide(creator, body=[product_card(lipstick)])
    three_days_ago = timezone.now() - timedelta(days=3)
    _clicks(create_tracked_link(creator, target_kind="product", product=lipstick, page=page), 3, when=three_days_ago)
    _clicks(create_tracked_link(creator, target_kind="product", product=serum, page=page), 2, when=three_days_ago)
    _clicks(create_tracked_link(creator, target_kind="product", product=lipstick, page=other), 4, when=three_days_ago)

    figures = lambda: (session_report(page).clicks,  # noqa: E731
                       session_report(page, brand_ids=frozenset({glow.pk})).clicks,
                       session_report(page, brand_ids=frozenset({dew.pk})).clicks)
    before = figures()
    roll_up(now=timezone.now())
    settings.KOLSHOP_RETENTION_CLICK_DAYS = settings.KOLSHOP_RETENTION_PAGE_VIEW_DAYS = 1
    purged = enforce_retention(now=timezone.now())["click_retention"]

    assert before == (5, 3, 2)
    assert (purged, Click.objects.count()) == (9, 0)
    assert figures() == (5, 3, 2)


def test_the_console_leaves_clicks_out():
    page = make_session(products=[make_product(title="Lipstick", variants=[("LIP-1", "20.00", 5)])])

    assert session_report(page, count_clicks=False).clicks is None
    assert session_report(page).clicks == 0
