"""One client can't inflate clicks or views: over the limit, links still redirect and pages still
render, but nothing is counted; the events API answers 429."""

from urllib.parse import parse_qs, urlsplit

import pytest

from creators.models import Click, LinkTarget, PageView
from creators.services.links import create_tracked_link
from shop.attribution import read_attribution
from tests.factories import make_creator, make_guide, make_product, product_card

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/page-views"


def _browser(n: int) -> str:
    return f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/150.0.{n} Safari/537.36"


@pytest.fixture(autouse=True)
def _limits(settings, steady_rate_limit_clock, steady_click_clock):
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "click": "3/m", "page_view": "3/m"}
    settings.KOLSHOP_TRUSTED_PROXIES = []
    settings.KOLSHOP_TRUSTED_PROXY_COUNT = 0


def test_clicks_beyond_the_limit_redirect_but_are_not_counted(site_tree, client):
    creator = make_creator("anna")
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    for n in range(5):
        create_tracked_link(creator, target_kind=LinkTarget.PRODUCT, product=product, code=f"mug-{n}")

    responses = [client.get(f"/r/mug-{n}/", headers={"User-Agent": _browser(n)}, REMOTE_ADDR="203.0.113.7")
                 for n in range(5)]

    assert [r.status_code for r in responses] == [302] * 5
    assert Click.objects.count() == 3
    click_ids = [read_attribution(parse_qs(urlsplit(r["Location"]).query)["ref"][0], sku="MUG-1").click_id
                 for r in responses]
    assert click_ids[3:] == [None, None]
    assert sorted(click_ids[:3]) == sorted(Click.objects.values_list("pk", flat=True))
    # another reader is not held back
    client.get("/r/mug-0/", headers={"User-Agent": _browser(0)}, REMOTE_ADDR="203.0.113.8")
    assert Click.objects.count() == 4


def test_page_views_beyond_the_limit_are_429_and_not_counted(client):
    guide = make_guide(make_creator("vee"), body=[product_card(make_product())])

    responses = [client.post(URL, {"event_id": f"evt-{n:04d}-abc", "page_id": guide.pk},
                             content_type="application/json", headers={"User-Agent": _browser(n)},
                             REMOTE_ADDR="203.0.113.7")
                 for n in range(5)]

    assert [r.status_code for r in responses] == [202, 202, 202, 429, 429]
    assert responses[3].json() == {"code": "rate_limited", "message": "Too many requests; try again shortly.",
                                   "field": None}
    assert 1 <= int(responses[3]["Retry-After"]) <= 60
    assert PageView.objects.count() == 3


def test_the_reader_site_serves_pages_over_the_limit_without_counting_them(client):
    guide = make_guide(make_creator("vee"), body=[product_card(make_product())])

    statuses = [client.get(guide.url, headers={"User-Agent": _browser(n)}, REMOTE_ADDR="203.0.113.7").status_code
                for n in range(5)]

    assert statuses == [200] * 5
    assert PageView.objects.count() == 3
