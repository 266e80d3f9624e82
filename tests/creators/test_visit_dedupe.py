"""A click counts once per visitor and link, a view once per visitor and page, in a rolling hour: no
reset at the top of the hour or at midnight, readers behind our proxy told apart, simultaneous first
clicks and views counted once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone as tz

import pytest
from django.db import connection
from django.test import Client

from creators.models import Click, LinkTarget, PageView
from creators.services.links import create_tracked_link, record_click
from tests.factories import make_creator, make_guide

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
IP = "203.0.113.9"


@pytest.fixture
def behind_our_proxy(settings):
    settings.KOLSHOP_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.KOLSHOP_TRUSTED_PROXY_COUNT = 1
    return settings


def _link(code: str = "anna-roll"):
    return create_tracked_link(make_creator("anna"), target_kind=LinkTarget.STOREFRONT, code=code)


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second", "counted"), [
    (datetime(2026, 3, 2, 10, 59, 59, 900_000, tzinfo=tz.utc), datetime(2026, 3, 2, 11, 0, 0, 100_000, tzinfo=tz.utc), 1),
    (datetime(2026, 3, 2, 23, 50, tzinfo=tz.utc), datetime(2026, 3, 3, 0, 10, tzinfo=tz.utc), 1),
    (datetime(2026, 3, 2, 23, 30, tzinfo=tz.utc), datetime(2026, 3, 3, 0, 29, 59, tzinfo=tz.utc), 1),
    (datetime(2026, 3, 2, 10, 0, tzinfo=tz.utc), datetime(2026, 3, 2, 11, 1, tzinfo=tz.utc), 2),
    (datetime(2026, 3, 2, 23, 30, tzinfo=tz.utc), datetime(2026, 3, 3, 0, 31, tzinfo=tz.utc), 2),
])
def test_the_hour_rolls_across_clock_hours_and_midnight(site_tree, first, second, counted):
    link = _link()

    one = record_click(link, ip=IP, user_agent=PHONE, now=first)
    two = record_click(link, ip=IP, user_agent=PHONE, now=second)

    assert Click.objects.count() == counted
    assert (one.pk == two.pk) is (counted == 1)
    assert list(Click.objects.order_by("clicked_at").values_list("clicked_at", flat=True)) == (
        [first] if counted == 1 else [first, second])


@pytest.mark.django_db
def test_the_window_runs_from_the_counted_click_not_the_latest_repeat(site_tree):
    link = _link()
    at = datetime(2026, 3, 2, 10, 0, tzinfo=tz.utc)

    for minutes in (0, 30, 59, 61, 90, 121):
        record_click(link, ip=IP, user_agent=PHONE, now=at + timedelta(minutes=minutes))

    assert [c.clicked_at - at for c in Click.objects.order_by("clicked_at")] == [
        timedelta(0), timedelta(minutes=61), timedelta(minutes=121)]


@pytest.mark.django_db
def test_two_readers_behind_our_proxy_count_apart_and_each_once(site_tree, client, behind_our_proxy):
    link = _link()

    for forwarded in ("198.51.100.1", "198.51.100.2", "198.51.100.1"):
        response = client.get(f"/r/{link.code}/", headers={"User-Agent": PHONE, "X-Forwarded-For": forwarded},
                              REMOTE_ADDR="10.0.0.2")
        assert response.status_code == 302

    assert Click.objects.count() == 2


@pytest.mark.django_db
def test_a_forwarded_header_from_a_peer_that_is_not_our_proxy_is_ignored(site_tree, client, behind_our_proxy):
    link = _link()

    for forwarded in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        client.get(f"/r/{link.code}/", headers={"User-Agent": PHONE, "X-Forwarded-For": forwarded},
                   REMOTE_ADDR="203.0.113.50")

    assert Click.objects.count() == 1


@pytest.mark.django_db
def test_a_client_spoofing_the_header_through_our_proxy_is_still_one_reader(site_tree, client, behind_our_proxy):
    link = _link()

    for spoofed in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        client.get(f"/r/{link.code}/", headers={"User-Agent": PHONE, "X-Forwarded-For": f"{spoofed}, 198.51.100.1"},
                   REMOTE_ADDR="10.0.0.2")

    assert Click.objects.count() == 1


def _all_at_once(function, times: int) -> list:
    """Run ``function`` in ``times`` threads released together; each thread closes its connection."""
    barrier = threading.Barrier(times)

    def run(_):
        try:
            barrier.wait(timeout=30)
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(run, range(times)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_first_clicks_from_one_reader_count_once(wagtail_base_data, behind_our_proxy):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (concurrent transactions)")
    link = _link("race-1")

    statuses = _all_at_once(lambda: Client().get(
        f"/r/{link.code}/", headers={"User-Agent": PHONE, "X-Forwarded-For": "198.51.100.1"}, REMOTE_ADDR="10.0.0.2",
    ).status_code, 8)

    assert statuses == [302] * 8
    assert Click.objects.filter(link=link).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_views_of_one_page_by_one_reader_count_once(wagtail_base_data, behind_our_proxy):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (concurrent transactions)")
    guide = make_guide(make_creator("vee"))
    event_ids = iter(range(8))

    bodies = _all_at_once(lambda: Client().post(
        "/api/v1/events/page-views", {"event_id": f"evt-{next(event_ids):04d}-race", "page_id": guide.pk},
        content_type="application/json", headers={"User-Agent": PHONE, "X-Forwarded-For": "198.51.100.1"},
        REMOTE_ADDR="10.0.0.2",
    ).json(), 8)

    assert sorted(body["recorded"] for body in bodies) == [False] * 7 + [True]
    assert PageView.objects.filter(page_id=guide.pk).count() == 1
