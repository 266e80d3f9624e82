import pytest

from creators.models import PageView
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
