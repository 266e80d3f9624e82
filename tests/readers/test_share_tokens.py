"""A front end on another site never gets the SameSite ``kolshop_share`` cookie back with its API calls, so
``/r/`` hands it the same signed referral as ``?share=`` and checkout or a team join accepts it as
``share_token``: the friend who buys days later through that front end still credits the sharer."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from wagtail.models import Page, Site

from creators.models import Click
from readers.models import RewardEntry
from shop.attribution import REFERRAL_COOKIE, share_token
from shop.models import Order
from tests.creators.helpers import PHONE
from tests.readers.reward_helpers import share_of
from tests.readers.helpers import ADDRESS

pytestmark = pytest.mark.django_db


@pytest.fixture
def front_end(guide):
    """The guides are read on a front end at front.example.com (a Wagtail Site of its own)."""
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "front.example.com", 443
    site.save()
    Site.objects.create(hostname="admin.example.com", port=443, root_page=Page.get_first_root_node())
    return site


def _follow(code: str, *, ip: str = "198.51.100.81") -> tuple[Client, str]:
    friend = Client(headers={"User-Agent": PHONE}, REMOTE_ADDR=ip)
    followed = friend.get(f"/r/{code}/")
    assert followed.status_code == 302
    return friend, followed.url


def _checkout(token: str | None, *, email: str = "friend@example.com"):
    """The front end's server calls the cart API without our cookies."""
    api = Client()
    cart = api.post("/api/v1/carts", content_type="application/json").json()["token"]
    assert api.post(f"/api/v1/carts/{cart}/lines", {"sku": "ARC-1", "quantity": 1},
                    content_type="application/json").status_code == 201
    payload = {"email": email, "fulfilment": "pickup"} | ({"share_token": token} if token is not None else {})
    return api.post(f"/api/v1/carts/{cart}/checkout", payload, content_type="application/json")


def test_a_share_to_another_site_carries_a_share_token_that_checkout_credits(front_end, guide, lamp):
    link = share_of(guide)
    friend, destination = _follow(link.code)
    token = parse_qs(urlsplit(destination).query)["share"][0]

    placed = _checkout(token)

    click = Click.objects.get()
    assert urlsplit(destination).netloc == "front.example.com"
    assert parse_qs(urlsplit(destination).query).keys() == {"ref", "share"}
    assert token == friend.cookies[REFERRAL_COOKIE].value  # one signed value: the cookie's and the token's
    assert placed.status_code == 201, placed.content
    order = Order.objects.get(email="friend@example.com")
    assert order.referral_click_id == click.pk


def test_a_share_token_credits_the_sharer_once_the_order_is_paid(front_end, guide, lamp):
    link = share_of(guide)
    _, destination = _follow(link.code)
    token = parse_qs(urlsplit(destination).query)["share"][0]

    placed = _checkout(token).json()
    paid = Client().post(f"/api/v1/orders/{placed['order']['number']}/pay", content_type="application/json",
                         headers={"X-Order-Secret": placed["order_secret"]})

    order = Order.objects.get(email="friend@example.com")
    entry = RewardEntry.objects.get()
    assert (paid.status_code, order.status) == (200, "paid")
    assert (entry.kind, entry.order_id, entry.link_id, entry.click_id) == (
        "accrual", order.pk, link.pk, Click.objects.get().pk)


def test_a_share_on_the_same_site_adds_no_token(guide):
    link = share_of(guide)

    _, destination = _follow(link.code)

    assert "share=" not in destination and destination.startswith("/")


def test_a_forged_share_token_is_a_400_and_places_no_order(guide, lamp):
    link = share_of(guide)
    _follow(link.code)
    forged = share_token(Click.objects.get().pk)[:-2] + "xx"

    refused = _checkout(forged)

    assert refused.status_code == 400
    assert refused.json() == {"code": "invalid_share_token", "field": "share_token",
                              "message": "The share token is invalid."}
    assert Order.objects.count() == 0


def test_an_expired_share_token_is_ignored_like_an_expired_cookie(guide, lamp, monkeypatch, settings):
    link = share_of(guide)
    _follow(link.code)
    old = share_token(Click.objects.get().pk)
    later = time.time() + timedelta(days=settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS + 1).total_seconds()
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)

    placed = _checkout(old)

    assert placed.status_code == 201
    assert Order.objects.get().referral_click_id is None


def test_the_first_share_wins_between_the_cookie_and_a_token(guide, lamp, monkeypatch):
    first, second = share_of(guide, "ada@example.com"), share_of(guide, "bob@example.com")
    friend, _ = _follow(first.code)
    first_click = Click.objects.get(link=first)
    now = time.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: now + 60)
    _follow(second.code, ip="198.51.100.82")
    later_token = share_token(Click.objects.get(link=second).pk)

    cart = friend.post("/api/v1/carts", content_type="application/json").json()["token"]
    friend.post(f"/api/v1/carts/{cart}/lines", {"sku": "ARC-1", "quantity": 1}, content_type="application/json")
    placed = friend.post(f"/api/v1/carts/{cart}/checkout", {"email": "friend@example.com", "fulfilment": "pickup",
                                                             "share_token": later_token},
                         content_type="application/json")

    assert placed.status_code == 201, placed.content
    assert Order.objects.get().referral_click_id == first_click.pk


def test_a_team_join_accepts_the_share_token(team, django_capture_on_commit_callbacks):
    from readers.services.shares import share
    from tests.readers.reward_helpers import make_reader

    link = share(make_reader("reader1@example.com"), team_code=team.code)
    _follow(link.code, ip="198.51.100.83")
    token = share_token(Click.objects.get().pk)

    with django_capture_on_commit_callbacks(execute=True):
        joined = Client().post(f"/api/v1/group-buys/teams/{team.code}/members",
                               {"email": "bo@example.com", "name": "Bo Friend", "address": ADDRESS,
                                "share_token": token}, content_type="application/json")

    assert joined.status_code == 201, joined.content
    order = Order.objects.get(email="bo@example.com")
    assert order.referral_click_id == Click.objects.get().pk
    assert RewardEntry.objects.get().link_id == link.pk
