from datetime import datetime, timedelta, timezone as tz
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from creators.models import Click, LinkTarget
from creators.services.links import create_tracked_link, record_click
from shop.attribution import read_attribution
from tests.factories import make_creator, make_guide, make_product, storefront_of

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"


def test_a_product_link_counts_a_click_and_redirects_to_the_buy_link_with_the_click(site_tree, client):
    anna = make_creator("anna")
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    guide = make_guide(anna)
    link = create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=product, page=guide, block_id="blk-9",
                               code="mug-anna")

    response = client.get("/r/mug-anna/", headers={"User-Agent": PHONE, "Referer": "https://insta.example/p/1?u=me"},
                          REMOTE_ADDR="203.0.113.7")

    click = Click.objects.get()
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/buy/MUG-1/"
    attribution = read_attribution(parse_qs(target.query)["ref"][0], sku="MUG-1")
    assert (attribution.creator_id, attribution.page_id, attribution.block_id, attribution.click_id) == (
        anna.pk, guide.pk, "blk-9", click.pk)
    assert (click.link_id, click.creator_id, click.page_id, click.block_id, click.product_id) == (
        link.pk, anna.pk, guide.pk, "blk-9", product.pk)
    assert (click.ua_class, click.referrer) == ("mobile", "https://insta.example/p/1")
    assert len(click.visitor_hash) == 64 and "203.0.113.7" not in click.visitor_hash


def test_the_raw_ip_is_stored_nowhere(site_tree, client):
    anna = make_creator("anna")
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")

    client.get("/r/anna-shop/", headers={"User-Agent": DESKTOP}, REMOTE_ADDR="198.51.100.23")

    values = [str(v) for v in Click.objects.values().get().values()]
    assert not any("198.51.100.23" in value for value in values)


def test_a_repeat_click_within_the_hour_counts_once_and_a_later_one_again(site_tree):
    anna = make_creator("anna")
    link = create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    at = datetime(2026, 3, 2, 10, 5, tzinfo=tz.utc)

    first = record_click(link, ip="203.0.113.7", user_agent=PHONE, now=at)
    again = record_click(link, ip="203.0.113.7", user_agent=PHONE, now=at + timedelta(minutes=50))
    other_reader = record_click(link, ip="203.0.113.8", user_agent=PHONE, now=at)
    next_hour = record_click(link, ip="203.0.113.7", user_agent=PHONE, now=at + timedelta(hours=1))

    assert first.pk == again.pk
    assert len({first.pk, other_reader.pk, next_hour.pk}) == 3
    assert Click.objects.count() == 3


def test_hitting_the_url_twice_records_one_click(site_tree, client):
    anna = make_creator("anna")
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")

    first = client.get("/r/anna-shop/", headers={"User-Agent": PHONE}, REMOTE_ADDR="203.0.113.7")
    second = client.get("/r/anna-shop", headers={"User-Agent": PHONE}, REMOTE_ADDR="203.0.113.7")

    assert (first.status_code, second.status_code) == (302, 302)
    assert Click.objects.count() == 1


@pytest.mark.parametrize("user_agent", [
    "Googlebot/2.1 (+http://www.google.com/bot.html)", "facebookexternalhit/1.1", "curl/8.5.0", "",
])
def test_bots_are_redirected_but_not_counted(site_tree, client, user_agent):
    anna = make_creator("anna")
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")

    response = client.get("/r/anna-shop/", headers={"User-Agent": user_agent})

    assert response.status_code == 302
    assert Click.objects.count() == 0
    assert "ref=" in response["Location"]


def test_a_storefront_link_leads_to_the_storefront_with_a_signed_ref(site_tree, client):
    anna = make_creator("anna")
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")

    response = client.get("/r/anna-shop/", headers={"User-Agent": DESKTOP})

    target = urlsplit(response["Location"])
    assert target.path == storefront_of(anna).get_url()
    assert read_attribution(parse_qs(target.query)["ref"][0], sku=None).creator_id == anna.pk


def test_an_unknown_code_is_a_404_page_not_a_500(site_tree, client):
    response = client.get("/r/nope-nope/", headers={"User-Agent": DESKTOP})

    assert response.status_code == 404
    assert Click.objects.count() == 0


def test_a_page_link_must_point_into_the_creators_own_storefront(site_tree):
    anna, ben = make_creator("anna"), make_creator("ben")
    bens_guide = make_guide(ben)

    with pytest.raises(ValidationError) as error:
        create_tracked_link(anna, target_kind=LinkTarget.PAGE, page=bens_guide)

    assert error.value.message_dict == {"page": ["Link only to pages in your own storefront."]}


def test_following_a_link_costs_a_constant_number_of_queries(site_tree, client, django_assert_num_queries):
    anna = make_creator("anna")
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=product, code="mug-anna")
    client.get("/r/mug-anna/", headers={"User-Agent": PHONE}, REMOTE_ADDR="203.0.113.1")  # warm-up

    lock = 1 if connection.vendor == "postgresql" else 0  # the visitor's advisory lock (SQLite has one writer)
    # the link's route is cached: savepoint + [lock] + recent-click lookup + insert + release (any earlier clicks)
    with django_assert_num_queries(4 + lock):
        client.get("/r/mug-anna/", headers={"User-Agent": PHONE}, REMOTE_ADDR="203.0.113.2")
    with django_assert_num_queries(3 + lock):  # a repeat: savepoint + [lock] + the recent click + release
        client.get("/r/mug-anna/", headers={"User-Agent": PHONE}, REMOTE_ADDR="203.0.113.2")


def test_the_hour_is_rolling_not_the_clock_hour(site_tree):
    anna = make_creator("anna")
    link = create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-roll")
    at = datetime(2026, 3, 2, 10, 50, tzinfo=tz.utc)

    first = record_click(link, ip="203.0.113.9", user_agent=PHONE, now=at)
    across_the_hour = record_click(link, ip="203.0.113.9", user_agent=PHONE, now=at + timedelta(minutes=30))
    over_an_hour_later = record_click(link, ip="203.0.113.9", user_agent=PHONE, now=at + timedelta(minutes=65))

    assert across_the_hour.pk == first.pk
    assert over_an_hour_later.pk != first.pk
    assert Click.objects.count() == 2
