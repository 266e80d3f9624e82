"""Every admin URL, aimed at creator A's and brand A's rows, as every other role: nothing leaks.

The routes come from the URL resolver, so a view added tomorrow is requested here without a new
test; a route the matrix cannot aim at a victim fails ``test_every_admin_route_is_covered`` until
it is made fillable or listed, with its reason, in ``url_matrix.ALLOWED_UNFILLABLE``.
"""

import pytest
from django.test import Client

from tests.permissions.conftest import SECRETS
from tests.permissions.url_matrix import (
    ALLOWED_UNFILLABLE,
    KNOWN_SERVER_ERRORS,
    SKIPPED_ROUTE_NAMES,
    SKIPPED_ROUTES,
    admin_routes,
    urls_for,
)

ROLES = ["creator_b", "brand_user_b", "brandless_user", "anonymous"]


def search_query(world) -> str:
    """Added to routes without kwargs: a search term matching every secret title, and the
    victims' ids for ``chosen-multiple`` endpoints and bulk-action listings."""
    ids = sorted({victim.pk for victim in world.victims})
    return "?q=alpha&" + "&".join(f"id={pk}" for pk in ids)


def planned_urls(world) -> tuple[list[tuple[str, str]], set[str]]:
    planned, unfillable = [], set()
    query = search_query(world)
    for route in admin_routes():
        if route.name in SKIPPED_ROUTE_NAMES or route.route in SKIPPED_ROUTES:
            continue
        urls = urls_for(route, world.victims, query=query)
        if urls is None:
            unfillable.add(route.route)
        else:
            planned.extend((route.route, url) for url in urls)
    return planned, unfillable


def snapshot(victims: list) -> dict:
    return {
        (type(victim).__name__, victim.pk): type(victim)._default_manager.filter(pk=victim.pk).values().first()
        for victim in victims
    }


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def leaks_in(response) -> list[str]:
    body = body_of(response)
    return [label for label, secret in SECRETS.items() if secret.lower() in body.lower()]


def client_for(world, role: str) -> Client:
    client = Client(raise_request_exception=False)
    user = None if role == "anonymous" else getattr(world, role).user if role == "creator_b" else getattr(world, role)
    if user is not None:
        client.force_login(user)
    return client


def test_every_admin_route_is_covered(world):
    _, unfillable = planned_urls(world)
    routes = {route.route for route in admin_routes()}

    assert sorted(unfillable - set(ALLOWED_UNFILLABLE)) == []
    assert sorted(set(ALLOWED_UNFILLABLE) - routes) == [], "allow-list entries for routes that no longer exist"


def test_the_matrix_aims_at_the_victims(world):
    """The matrix is only as good as its aim: the key routes are among the planned URLs."""
    planned, _ = planned_urls(world)
    urls = {url for _, url in planned}

    assert f"/admin/bulk/kolshop_media/video/delete/?id={world.video.pk}" in urls
    assert f"/admin/shop/order/history/{world.order.pk}/" in urls
    assert f"/admin/creators/payout/history/{world.payout.pk}/" in urls
    assert f"/admin/pages/{world.draft_page.pk}/edit/" in urls
    assert f"/admin/snippets/choose/kolshop_media/video/chosen/{world.video.pk}/" in urls
    assert any(url.startswith("/admin/snippets/choose/kolshop_media/video/chosen-multiple/?") for url in urls)
    assert f"/admin/privacy/leavers/{world.creator_a.user_id}/anonymise/" in urls
    request = next(victim for victim in world.victims if type(victim).__name__ == "DataSubjectRequest")
    assert {f"/admin/privacy/requests/inspect/{request.pk}/", f"/admin/privacy/requests/edit/{request.pk}/"} <= urls
    from content.live.models import LiveSession

    live_page = next(victim for victim in world.victims if isinstance(victim, LiveSession)).page_id  # creator A's
    assert {f"/admin/live/{live_page}/", f"/admin/live/{live_page}/producers/add/",
            f"/admin/live/{live_page}/producers/remove/", f"/admin/live/{live_page}/report/",
            f"/admin/live/{live_page}/report/csv/"} <= urls
    assert any(url.startswith("/admin/live/reports/") for url in urls)
    assert any(url.startswith("/admin/shop/supply-attempts/?") for url in urls)


def test_a_second_creator_and_a_second_brand_get_no_live_report(world):
    """Creator A's session pins brand A's product: creator B and brand B's user may not open its report
    nor see it listed; creator A may."""
    from content.live.models import LiveSession

    live_page = next(victim for victim in world.victims if isinstance(victim, LiveSession)).page_id
    refused = {role: (client_for(world, role).get(f"/admin/live/{live_page}/report/").status_code,
                      client_for(world, role).get(f"/admin/live/{live_page}/report/csv/").status_code,
                      client_for(world, role).get("/admin/live/reports/").content.decode().count("data-reported-session"))
               for role in ("creator_b", "brand_user_b", "brandless_user")}
    owner = Client()
    owner.force_login(world.creator_a.user)

    assert refused == {"creator_b": (404, 404, 0), "brand_user_b": (404, 404, 0), "brandless_user": (404, 404, 0)}
    assert owner.get(f"/admin/live/{live_page}/report/").status_code == 200
    assert owner.get(f"/admin/live/{live_page}/report/csv/").status_code == 200
    assert owner.get("/admin/live/reports/").content.decode().count("data-reported-session") == 1


def test_brand_users_and_creators_get_no_brand_transfer_screen_nor_retry(world):
    """Brand A's failed transfer: brand A's own user, brand B's, creator B and creator A are refused both the
    staff screen and "retry now" (Wagtail redirects a refused admin view to the dashboard); nothing changes."""
    from shop.models import SupplyTransfer
    from tests.factories import make_brand_user

    transfer = next(victim for victim in world.victims if isinstance(victim, SupplyTransfer))
    owner_brand_user = make_brand_user("alpha-brand-manager", brand=transfer.order.lines.get().variant.product.brand)
    users = [owner_brand_user, world.brand_user_b, world.creator_b.user, world.creator_a.user]
    answers = []
    for user in users:
        client = Client()
        client.force_login(user)
        answers.append((client.get("/admin/shop/supply-attempts/").status_code,
                        client.post("/admin/shop/supply-attempts/", {"kind": "transfer", "id": transfer.pk}).url))
    assert answers == [(302, "/admin/")] * 4
    transfer.refresh_from_db()
    assert (transfer.status, transfer.attempts) == ("failed", 1)


@pytest.mark.parametrize("role", ROLES)
def test_no_other_role_reads_or_changes_creator_a_or_brand_a_rows(world, role):
    planned, _ = planned_urls(world)
    before = snapshot(world.victims)
    client = client_for(world, role)
    leaks, errors = [], []

    for route, url in planned:
        get = client.get(url)
        responses = [("GET", get)]
        if get.status_code != 405:
            responses.append(("POST", client.post(url, {})))
        for method, response in responses:
            if response.status_code >= 500 and (method, route) not in KNOWN_SERVER_ERRORS:
                errors.append(f"{method} {url} -> {response.status_code}")
            leaks.extend(f"{method} {url} ({route}) shows {label}" for label in leaks_in(response))

    assert leaks == [], '\n'.join(leaks + errors)
    assert errors == []
    assert snapshot(world.victims) == before
