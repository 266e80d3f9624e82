"""The producer role: named by the session's creator, runs the show from the console (go live, pin, deals,
end), but edits neither the page nor its chapters or producers, and never sees the session's money."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from content.live.models import LivePin, LiveProducer, LiveSession, LiveStatus
from content.live.producers import PRODUCERS_GROUP_NAME
from shop.models import Promotion, PromotionKind
from tests.factories import make_creator, make_user
from tests.live.helpers import lipstick, make_session

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _named_producer(creator, page, username: str = "pat"):
    producer = make_user(username)
    response = _client(creator.user).post(f"/admin/live/{page.pk}/producers/add/", {"producer": f"{username}@example.com"})
    assert response.status_code == 302
    return producer


def test_a_named_producer_runs_the_show_from_the_console():
    creator = make_creator("rex")
    product = lipstick("LIP-1", price="20.00")
    page = make_session(creator, products=[product])
    producer = _named_producer(creator, page)
    client = _client(producer)

    opened = client.get(f"/admin/live/{page.pk}/")
    statuses = [
        client.post(f"/admin/live/{page.pk}/start/").status_code,
        client.post(f"/admin/live/{page.pk}/pin/", {"product": product.pk}).status_code,
        client.post(f"/admin/live/{page.pk}/flash-deal/", {
            "variant": product.variants.get().pk, "price": "15.00", "unit_cap": "10", "per_buyer_limit": "1",
            "duration_seconds": "60", "countdown_seconds": "0"}).status_code,
    ]
    deal = Promotion.objects.get(kind=PromotionKind.FLASH)
    statuses += [client.post(f"/admin/live/{page.pk}/end-deal/", {"deal": deal.pk}).status_code,
                 client.post(f"/admin/live/{page.pk}/end/").status_code]
    deal.refresh_from_db()

    assert opened.status_code == 200
    assert statuses == [302] * 5
    assert LiveSession.objects.get(page=page).status == LiveStatus.ENDED
    assert LivePin.objects.get().product_id == product.pk
    assert deal.ends_at < LiveSession.objects.get(page=page).ended_at
    assert LiveProducer.objects.get().assigned_by == creator.user
    assert list(producer.groups.values_list("name", flat=True)) == [PRODUCERS_GROUP_NAME]


def test_a_producer_does_not_see_revenue_chapters_or_producers_and_may_not_change_them():
    creator = make_creator("rex")
    product = lipstick("LIP-1")
    page = make_session(creator, products=[product])
    producer = _named_producer(creator, page)
    client = _client(producer)
    client.post(f"/admin/live/{page.pk}/start/")
    client.post(f"/admin/live/{page.pk}/pin/", {"product": product.pk})
    client.post(f"/admin/live/{page.pk}/end/")
    chapter = LiveSession.objects.get(page=page).chapters.get()

    console = client.get(f"/admin/live/{page.pk}/").content.decode()
    owner_console = _client(creator.user).get(f"/admin/live/{page.pk}/").content.decode()
    refused = [response.status_code for response in (
        client.post(f"/admin/live/{page.pk}/chapter/", {"chapter": chapter.pk, "title": "Mine", "start_seconds": 0,
                                                        "end_seconds": 5}),
        client.post(f"/admin/live/{page.pk}/replay-ready/"),
        client.post(f"/admin/live/{page.pk}/producers/add/", {"producer": "rex"}),
        client.post(f"/admin/live/{page.pk}/producers/remove/", {"user": producer.pk}),
    )]
    page_editor = client.get(f"/admin/pages/{page.pk}/edit/")
    chapter.refresh_from_db()

    assert "data-live-revenue" not in console and "Producers</h2>" not in console
    assert 'action="/admin/live/%d/chapter/"' % page.pk not in console
    assert "data-live-revenue" in owner_console and "data-live-producer>pat" in owner_console
    # The console answers a refused action with a 403 (not Wagtail's redirect to the dashboard) ...
    assert refused == [403] * 4
    # ... while Wagtail's own page editor still turns its refusal into a redirect with a message.
    assert (page_editor.status_code, page_editor["Location"]) == (302, "/admin/")
    assert chapter.title == "Lipstick LIP-1"
    assert LiveSession.objects.get(page=page).status == LiveStatus.ENDED
    assert LiveProducer.objects.count() == 1


def test_a_producer_of_one_session_and_another_creator_get_404s_elsewhere():
    owner, other = make_creator("rex"), make_creator("ivy")
    produced = make_session(owner, products=[lipstick("LIP-1")], title="Produced")
    elsewhere = make_session(owner, products=[lipstick("LIP-2")], title="Elsewhere")
    producer = _named_producer(owner, produced)
    stranger = _client(other.user)

    responses = [
        _client(producer).get(f"/admin/live/{elsewhere.pk}/").status_code,
        _client(producer).post(f"/admin/live/{elsewhere.pk}/start/").status_code,
        stranger.get(f"/admin/live/{produced.pk}/").status_code,
        stranger.post(f"/admin/live/{produced.pk}/producers/add/", {"producer": "ivy"}).status_code,
        stranger.post(f"/admin/live/{produced.pk}/producers/remove/", {"user": producer.pk}).status_code,
    ]

    assert responses == [404] * 5
    assert list(LiveProducer.objects.values_list("user__username", flat=True)) == ["pat"]
    assert not LiveSession.objects.filter(page=elsewhere, status=LiveStatus.LIVE).exists()


def test_removing_a_producer_ends_their_access_and_their_admin_group_with_their_last_session():
    creator = make_creator("rex")
    first, second = (make_session(creator, products=[lipstick(sku)], title=title)
                     for sku, title in (("LIP-1", "One"), ("LIP-2", "Two")))
    producer = _named_producer(creator, first)
    _named_producer_again = _client(creator.user).post(f"/admin/live/{second.pk}/producers/add/", {"producer": "pat"})
    owner = _client(creator.user)

    listed = _client(producer).get("/admin/live/").content.decode()
    owner.post(f"/admin/live/{first.pk}/producers/remove/", {"user": producer.pk})
    still_in_group = producer.groups.filter(name=PRODUCERS_GROUP_NAME).exists()
    owner.post(f"/admin/live/{second.pk}/producers/remove/", {"user": producer.pk})

    assert _named_producer_again.status_code == 302
    assert listed.count("data-produced-session") == 2
    assert still_in_group is True
    assert _client(producer).get(f"/admin/live/{first.pk}/").status_code in (302, 404)
    assert LiveProducer.objects.count() == 0
    assert not Group.objects.get(name=PRODUCERS_GROUP_NAME).user_set.filter(pk=producer.pk).exists()


def test_naming_an_unknown_account_is_a_message_and_names_no_one():
    creator = make_creator("rex")
    page = make_session(creator, products=[lipstick()])

    response = _client(creator.user).post(f"/admin/live/{page.pk}/producers/add/", {"producer": "nobody@example.com"},
                                          follow=True)

    assert response.status_code == 200
    assert "No single active account has that username or e-mail address." in response.content.decode()
    assert LiveProducer.objects.count() == 0
