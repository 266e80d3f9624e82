"""A session's report keeps money per currency (never adds USD to EUR), counts peak and unique viewers from
heartbeats (kept on the session when it ends) and gives conversion as orders per unique viewer."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from content.live.models import LiveSession
from content.live.reports import MoneyFigures, session_report
from content.live.services import end_session, start_session
from content.live.viewers import record_heartbeat, viewer_count
from shop.attribution import Attribution
from shop.services.checkout import confirm_payment
from tests.factories import make_creator, make_product
from tests.live.helpers import make_session
from tests.shop.helpers import cart_with, checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    cache.clear()
    shop_settings.KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS = 30
    return shop_settings


def test_totals_are_kept_per_currency_and_never_added_across_currencies():
    creator = make_creator("rex")
    lipstick = make_product(title="Lipstick", variants=[("LIP-1", "20.00", 10)], currency="USD")
    serum = make_product(title="Serum", variants=[("SER-EU", "30.00", 10)], currency="EUR")
    page = make_session(creator, products=[lipstick, serum])
    start_session(page)
    from_page = Attribution(creator.pk, page.pk, "", None)
    confirm_payment(checkout(cart_with(("LIP-1", 2), attribution=from_page), email="ada@example.com").order)
    confirm_payment(checkout(cart_with(("SER-EU", 1), attribution=from_page), email="bo@example.com",
                             fulfilment="pickup").order)

    report = session_report(page)

    assert (report.totals.orders, report.totals.units) == (2, 3)
    assert report.totals.money == (MoneyFigures("EUR", Decimal("30.00"), Decimal("0.00")),
                                   MoneyFigures("USD", Decimal("40.00"), Decimal("0.00")))


def test_peak_and_unique_viewers_come_from_heartbeats_and_are_kept_when_the_session_ends():
    page = make_session(products=[make_product(title="Lipstick", variants=[("LIP-1", "20.00", 10)])])
    started = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
    start_session(page, now=started)
    t0 = started.timestamp() - started.timestamp() % 30 + 30  # the start of a 30-second window
    for viewer in ("viewer-one", "viewer-two", "viewer-three"):
        record_heartbeat(page.pk, viewer, now=t0 + 1)
    record_heartbeat(page.pk, "viewer-one", now=t0 + 16)  # a second beat in the window counts once
    for viewer in ("viewer-one", "viewer-four"):
        record_heartbeat(page.pk, viewer, now=t0 + 31)  # the next window: two watching

    while_live = session_report(page).viewers
    end_session(page, now=started + timedelta(minutes=9))
    record_heartbeat(page.pk, "viewer-five", now=t0 + 61)  # after the end: not counted any more
    cache.clear()  # the figures stay with the session, not the cache

    session = LiveSession.objects.get(page=page)
    assert (while_live.peak, while_live.unique) == (3, 4)
    assert (session.peak_viewers, session.unique_viewers) == (3, 4)
    assert (session_report(page).viewers.peak, session_report(page).viewers.unique) == (3, 4)
    assert viewer_count(page.pk, now=t0 + 31) == 0  # cleared with the cache


def test_conversion_is_orders_per_unique_viewer():
    creator = make_creator("rex")
    page = make_session(creator, products=[make_product(title="Lipstick", variants=[("LIP-1", "20.00", 10)])])
    start_session(page)
    for number in range(8):
        record_heartbeat(page.pk, f"viewer-{number:04d}")
    from_page = Attribution(creator.pk, page.pk, "", None)
    for email in ("ada@example.com", "bo@example.com", "cy@example.com"):
        confirm_payment(checkout(cart_with(("LIP-1", 1), attribution=from_page), email=email).order)

    report = session_report(page)

    assert (report.totals.orders, report.viewers.unique, report.conversion) == (3, 8, Decimal("37.50"))
