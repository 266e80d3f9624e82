"""A tracked link's route is cached (``creators.services.link_routes``) and forgotten by every change
that moves it: the link deactivated, its product's first SKU, its page unpublished or moved away."""

from urllib.parse import urlsplit

import pytest

from creators.models import LinkTarget
from creators.services.links import create_tracked_link
from shop.models import Variant
from tests.factories import make_creator, make_guide, make_product, storefront_of

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def where(client, code: str) -> tuple[int, str]:
    response = client.get(f"/r/{code}/", headers={"User-Agent": PHONE}, REMOTE_ADDR="203.0.113.5")
    return response.status_code, urlsplit(response.get("Location", "")).path


def test_a_deactivated_link_is_a_404_at_once(site_tree, client):
    link = create_tracked_link(make_creator("anna"), target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    assert where(client, "anna-shop") == (302, "/creators/anna/")

    link.active = False
    link.save()

    assert where(client, "anna-shop") == (404, "")


def test_a_follow_between_the_change_and_its_commit_does_not_keep_the_old_route(
        site_tree, client, django_capture_on_commit_callbacks):
    from creators.services import link_routes
    from creators.services.link_routes import cached_link_route, link_route_if_cached

    link = create_tracked_link(make_creator("anna"), target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    assert where(client, "anna-shop") == (302, "/creators/anna/")
    old_route = cached_link_route("anna-shop")

    with django_capture_on_commit_callbacks(execute=True) as at_commit:
        link.active = False
        link.save()  # forgotten now ...
        # ... and a follow on another connection, reading the row as committed (still active), stores it again
        link_routes.store_route("anna-shop", old_route,
                                generation=link_routes.cache.token(link_routes._GENERATION_KEY))
        assert link_route_if_cached("anna-shop")[0]

    assert len(at_commit) >= 1
    assert link_route_if_cached("anna-shop") == (False, None)  # forgotten again at the commit
    assert where(client, "anna-shop") == (404, "")


def test_a_new_first_variant_is_where_a_product_link_leads_next(site_tree, client):
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    create_tracked_link(make_creator("anna"), target_kind=LinkTarget.PRODUCT, product=product, code="mug-anna")
    assert where(client, "mug-anna") == (302, "/buy/MUG-1/")

    Variant.objects.create(product=product, sku="MUG-0", name="First", price="11.00", currency="USD", sort_order=-1)

    assert where(client, "mug-anna") == (302, "/buy/MUG-0/")


def test_a_page_link_follows_its_page_being_unpublished_and_a_code_made_after_a_404(site_tree, client):
    anna = make_creator("anna")
    guide = make_guide(anna, slug="picks")
    assert where(client, "anna-picks") == (404, "")  # cached as unknown
    create_tracked_link(anna, target_kind=LinkTarget.PAGE, page=guide, code="anna-picks")
    assert where(client, "anna-picks") == (302, "/creators/anna/picks/")

    guide.unpublish()

    assert where(client, "anna-picks") == (404, "")


def test_a_storefront_link_follows_its_storefront_being_unpublished(site_tree, client):
    anna = make_creator("anna")
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    assert where(client, "anna-shop") == (302, "/creators/anna/")

    storefront_of(anna).unpublish()

    assert where(client, "anna-shop") == (404, "")


def test_a_route_miss_costs_two_cache_round_trips_and_a_hit_one(site_tree, monkeypatch):
    from creators.services import link_routes

    create_tracked_link(make_creator("anna"), target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    link_routes.cache.token(link_routes._GENERATION_KEY)  # the routes' generation exists, as on a running site
    calls = []
    for name in ("get", "get_many", "add", "fill", "fill_many", "set", "set_many"):  # the routes' own cache calls
        monkeypatch.setattr(link_routes.cache, name, lambda *args, method=getattr(link_routes.cache, name), name=name,
                            **kw: (calls.append(name), method(*args, **kw))[1])

    missed = link_routes.cached_link_route("anna-shop")  # the generation read with the entry: not again
    link_routes._local_routes.forget(["anna-shop"])
    miss_calls, calls[:] = list(calls), []
    hit = link_routes.cached_link_route("anna-shop")

    assert missed == hit
    assert miss_calls == ["get_many", "fill_many"]  # the entry and its previous-release twin, stored together
    assert calls == ["get_many"]
