"""Share links: a signed-in reader's own /r/<code>, counted exactly like a creator's link."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from creators.models import Click, CreatorProfile, LinkKind, TrackedLink
from creators.services.links import recent_click
from readers.models import Reader
from shop.attribution import read_attribution
from shop.services.client_identity import visitor_key
from tests.creators.helpers import PHONE
from tests.factories import make_guide, make_product
from tests.readers.helpers import post_json, sign_in

pytestmark = pytest.mark.django_db


def test_a_reader_shares_a_guide_once_and_gets_the_same_link_again(client, ask, guide):
    sign_in(client, ask, "ada@example.com")

    first = post_json(client, "/api/v1/account/shares", {"page_id": guide.pk})
    again = post_json(client, "/api/v1/account/shares", {"page_id": guide.pk})

    assert first.status_code == again.status_code == 201
    link = TrackedLink.objects.get()
    assert first.json() == again.json() == {
        "code": link.code, "url": f"http://testserver/r/{link.code}/", "target_kind": "page", "page_id": guide.pk,
        "product_id": None, "team_code": "", "click_count": 0, "order_count": 0,
    }
    assert (link.kind, link.creator.handle, link.page_id) == (LinkKind.READER_SHARE, "maya", guide.pk)
    assert link.sharer_id == Reader.objects.get(email="ada@example.com").pk


def test_following_a_share_counts_a_click_like_a_creators_link(client, ask, guide):
    sign_in(client, ask, "ada@example.com")
    code = post_json(client, "/api/v1/account/shares", {"page_id": guide.pk}).json()["code"]
    friend = Client(headers={"User-Agent": PHONE}, REMOTE_ADDR="198.51.100.20")
    crawler = Client(headers={"User-Agent": "WhatsApp/2.23"}, REMOTE_ADDR="198.51.100.21")

    followed = friend.get(f"/r/{code}")
    friend.get(f"/r/{code}/")  # a repeat within the hour
    crawler.get(f"/r/{code}")

    click = Click.objects.get()
    assert followed.status_code == 302
    assert followed.url.startswith(guide.url + "?ref=")
    attribution = read_attribution(parse_qs(urlsplit(followed.url).query)["ref"][0], sku=None)
    maya = CreatorProfile.objects.get(handle="maya")
    assert (attribution.creator_id, attribution.page_id, attribution.click_id) == (maya.pk, guide.pk, click.pk)
    assert (click.creator_id, click.link.kind) == (maya.pk, LinkKind.READER_SHARE)
    visitor = visitor_key(ip="198.51.100.20", user_agent=PHONE, now=click.clicked_at)
    assert click.visitor_hash == visitor.current
    assert recent_click(click.link, visitor, now=click.clicked_at) == click
    assert client.get("/api/v1/account/shares").json()[0]["click_count"] == 1


def test_a_product_share_leads_to_its_buy_link(client, ask, guide):
    product = make_product(title="Arc lamp", variants=[("ARC-1", "40.00", 3)])
    sign_in(client, ask, "ada@example.com")

    shared = post_json(client, "/api/v1/account/shares", {"page_id": guide.pk, "product_id": product.pk})
    followed = Client(headers={"User-Agent": PHONE}).get(f"/r/{shared.json()['code']}")

    assert shared.json()["target_kind"] == "product"
    assert followed.url.startswith("/buy/ARC-1/?ref=")


def test_shares_need_a_reader_and_a_live_creators_guide(client, ask, guide, site_tree):
    assert post_json(client, "/api/v1/account/shares", {"page_id": guide.pk}).status_code == 401
    sign_in(client, ask, "ada@example.com")
    home = guide.get_parent().get_parent().get_parent()

    missing = post_json(client, "/api/v1/account/shares", {"page_id": 999999})
    not_a_guide = post_json(client, "/api/v1/account/shares", {"page_id": home.pk})

    assert (missing.status_code, missing.json()["code"]) == (404, "page_not_found")
    assert (not_a_guide.status_code, not_a_guide.json()["code"]) == (400, "not_shareable")
    assert TrackedLink.objects.count() == 0


def test_the_share_list_costs_the_same_queries_for_one_or_many(client, ask, guide, django_assert_num_queries):
    sign_in(client, ask, "ada@example.com")
    post_json(client, "/api/v1/account/shares", {"page_id": guide.pk})
    client.get("/api/v1/account/shares")  # warm-up
    with django_assert_num_queries(3):  # session, reader, links with their figures
        assert len(client.get("/api/v1/account/shares").json()) == 1
    for title in ("Chairs", "Rugs", "Shelves"):
        other = make_guide(guide.get_parent().specific.creator, title=title)
        post_json(client, "/api/v1/account/shares", {"page_id": other.pk})
    with django_assert_num_queries(3):
        assert len(client.get("/api/v1/account/shares").json()) == 4
