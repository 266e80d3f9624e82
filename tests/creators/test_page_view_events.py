from datetime import datetime, timedelta, timezone as tz

import pytest
from django.db import connection

from creators.models import PageView
from creators.reports.page_views import record_page_view
from tests.factories import make_creator, make_guide, make_product, product_card

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/page-views"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0 Safari/537.36"


@pytest.fixture
def client(client):
    client.defaults["HTTP_USER_AGENT"] = BROWSER
    return client


@pytest.fixture
def guide():
    creator = make_creator("vee")
    return make_guide(creator, body=[product_card(make_product())])


def test_a_page_view_event_is_recorded_once_however_often_it_is_sent(client, guide):
    payload = {"event_id": "evt-0001-abc", "page_id": guide.pk}

    first = client.post(URL, payload, content_type="application/json")
    again = client.post(URL, payload, content_type="application/json")

    assert first.status_code == again.status_code == 202
    assert first.json() == {"recorded": True, "duplicate": False}
    assert again.json() == {"recorded": False, "duplicate": True}
    view = PageView.objects.get()
    assert (view.page_id, view.creator_id, view.event_id) == (guide.pk, guide.creator_id, "evt-0001-abc")
    assert "127.0.0.1" not in view.visitor_hash and len(view.visitor_hash) == 64


@pytest.mark.parametrize(("payload", "status", "code", "field"), [
    ({"event_id": "short", "page_id": 1}, 400, "invalid", "event_id"),
    ({"event_id": "evt-0002-abc", "page_id": "x"}, 400, "invalid", "page_id"),
    ({"event_id": "evt-0003-abc", "page_id": 999999}, 404, "not_found", "page_id"),
    ({"page_id": 1}, 400, "invalid", "event_id"),
])
def test_bad_page_view_events_are_4xx_with_the_field(client, guide, payload, status, code, field):
    response = client.post(URL, payload, content_type="application/json")

    assert response.status_code == status
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert PageView.objects.count() == 0


def test_a_page_that_is_not_a_creator_page_does_not_count(client, guide):
    creators_index = guide.get_parent().get_parent()
    response = client.post(URL, {"event_id": "evt-0004-abc", "page_id": creators_index.pk},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "not_shoppable"


def test_the_reader_site_counts_a_view_per_page_served_but_not_for_bots(client, guide):
    client.get(guide.url)
    client.get(guide.url, HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)")

    assert PageView.objects.filter(page_id=guide.pk).count() == 1


def test_the_same_event_id_on_two_pages_counts_on_both(client, guide):
    other = make_guide(guide.creator, body=[product_card(make_product())])

    first = client.post(URL, {"event_id": "evt-0001-abc", "page_id": guide.pk},
                        content_type="application/json")
    second = client.post(URL, {"event_id": "evt-0001-abc", "page_id": other.pk}, content_type="application/json")

    assert first.json() == second.json() == {"recorded": True, "duplicate": False}
    assert sorted(PageView.objects.values_list("page_id", "event_id")) == [
        (guide.pk, "evt-0001-abc"), (other.pk, "evt-0001-abc")]


def test_a_reader_counts_once_per_page_in_a_rolling_hour(client, guide):
    other = make_guide(guide.creator, body=[product_card(make_product())])
    reader = {"REMOTE_ADDR": "203.0.113.7"}

    views = [client.post(URL, {"event_id": f"evt-{n:04d}-abc", "page_id": page.pk}, content_type="application/json",
                         **reader).json()
             for n, page in enumerate([guide, guide, other, guide])]
    another_reader = client.post(URL, {"event_id": "evt-0099-abc", "page_id": guide.pk},
                                 content_type="application/json", REMOTE_ADDR="203.0.113.8").json()

    assert views == [{"recorded": True, "duplicate": False}, {"recorded": False, "duplicate": True},
                     {"recorded": True, "duplicate": False}, {"recorded": False, "duplicate": True}]
    assert another_reader == {"recorded": True, "duplicate": False}
    assert PageView.objects.filter(page_id=guide.pk).count() == 2
    assert PageView.objects.filter(page_id=other.pk).count() == 1


def test_page_view_dedupe_rolls_over_midnight_and_counts_again_after_an_hour(guide):
    at = datetime(2026, 3, 2, 23, 40, tzinfo=tz.utc)

    outcomes = [
        record_page_view(page_id=guide.pk, creator_id=guide.creator_id, ip="203.0.113.7", user_agent=BROWSER,
                         viewed_at=at + timedelta(minutes=minutes)).created
        for minutes in (0, 35, 59, 61)
    ]

    assert outcomes == [True, False, False, True]
    assert list(PageView.objects.order_by("viewed_at").values_list("viewed_at", flat=True)) == [
        at, at + timedelta(minutes=61)]


def test_recording_a_view_costs_a_constant_number_of_queries(client, guide, django_assert_num_queries):
    client.post(URL, {"event_id": "evt-warm-up", "page_id": guide.pk}, content_type="application/json")
    lock = 1 if connection.vendor == "postgresql" else 0

    # page (3: view restrictions, type, specific), savepoint + [lock] + earlier view + savepoint + insert + 2 releases
    with django_assert_num_queries(9 + lock):
        client.post(URL, {"event_id": "evt-0100-abc", "page_id": guide.pk}, content_type="application/json",
                    REMOTE_ADDR="203.0.113.70")
    with django_assert_num_queries(6 + lock):  # a repeat: page (3), savepoint + [lock] + earlier view + release
        client.post(URL, {"event_id": "evt-0101-abc", "page_id": guide.pk}, content_type="application/json",
                    REMOTE_ADDR="203.0.113.70")
