"""The anonymous commerce API (carts, orders, group buys, offers) skips the session, user and message
middleware it never reads (``shop.api_edge.is_anonymous_commerce_api``); everything else still gets them,
and an API answer's headers are the same either way."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.test import AsyncClient, Client
from ninja.constants import NOT_SET

from settings.api import api as commerce_api
from shop.api_edge import ANONYMOUS_COMMERCE_ROUTERS, COMMERCE_API_PREFIX, is_anonymous_commerce_api
from tests.shop.helpers import variant_with_stock

SITE_ONLY_ATTRIBUTES = ("session", "user", "_messages")


def _set_up_by_site_only_middleware(response) -> list[str]:
    request = response.asgi_request if hasattr(response, "asgi_request") else response.wsgi_request
    return [name for name in SITE_ONLY_ATTRIBUTES if hasattr(request, name)]


def _authenticated_operations(router) -> list[str]:
    """Operations of a router that ask who calls (their own auth, the router's or the API's)."""
    if router.auth is not NOT_SET or commerce_api.auth is not NOT_SET:
        return [path for path in router.path_operations]
    return [f"{method} {path}" for path, path_view in router.path_operations.items()
            for operation in path_view.operations if operation.auth_param is not NOT_SET
            for method in operation.methods]


def test_every_operation_on_the_anonymous_routers_has_no_authentication():
    commerce_api.urls  # noqa: B018 - ninja lists its routers once it built its URLs
    routers = {prefix.strip("/"): router for prefix, router in commerce_api._routers if prefix.strip("/")}
    anonymous = {name for name in routers if is_anonymous_commerce_api(f"{COMMERCE_API_PREFIX}{name}/any")}

    assert anonymous == set(ANONYMOUS_COMMERCE_ROUTERS)
    assert {name: _authenticated_operations(routers[name]) for name in sorted(anonymous)} == {
        name: [] for name in sorted(anonymous)}
    # The check sees authentication where there is some: these routers keep the session and the user.
    assert all(_authenticated_operations(routers[name]) for name in ("account", "media", "privacy"))


@pytest.mark.parametrize("path", ["/api/v1/carts", "/api/v1/carts/", "/api/v1/carts/tok/lines",
                                  "/api/v1/orders/KS-1/pay", "/api/v1/group-buys/teams/abc", "/api/v1/offers"])
def test_the_anonymous_routers_paths_are_recognised(path):
    assert is_anonymous_commerce_api(path)


@pytest.mark.parametrize("path", ["/api/v1/cartsx", "/api/v1/account", "/api/v1/account/orders", "/api/v1/media/videos/1",
                                  "/api/v1/privacy/requests", "/api/v1/openapi.json", "/api/v2/pages/", "/admin/",
                                  "/carts/", "/orders/KS-1/", "/"])
def test_every_other_path_is_not(path):
    assert not is_anonymous_commerce_api(path)


@pytest.mark.django_db
def test_the_buy_flows_requests_get_no_session_user_or_messages(shop_settings, api, client):
    variant_with_stock("SK-1", price="10.00", on_hand=5)
    created = client.post("/api/v1/carts", "{}", content_type="application/json")
    token = created.json()["token"]
    added = client.post(f"/api/v1/carts/{token}/lines", {"sku": "SK-1", "quantity": 1}, content_type="application/json")
    others = [client.get("/api/v1/offers", {"skus": "SK-1"}), client.get("/api/v1/orders/KS-NOPE"),
              client.get("/api/v1/group-buys/teams/NOPE"), client.get(f"/api/v1/carts/{token}/")]

    assert [response.status_code for response in (created, added, *others)] == [201, 201, 200, 404, 404, 200]
    assert [_set_up_by_site_only_middleware(response) for response in (created, added, *others)] == [[]] * 6


@pytest.mark.django_db
def test_the_admin_the_reader_site_and_authenticated_api_routes_still_get_them(shop_settings, client):
    editor = get_user_model().objects.create_user("editor", password="pw", is_staff=True, is_superuser=True)
    client.force_login(editor)

    responses = {path: client.get(path) for path in ("/admin/", "/account/", "/api/v1/account", "/api/v1/media/videos/1",
                                                     "/api/v1/cartsx")}

    assert {path: _set_up_by_site_only_middleware(response) for path, response in responses.items()} == {
        path: list(SITE_ONLY_ATTRIBUTES) for path in responses}
    assert responses["/admin/"].status_code == 200  # the signed-in editor is seen: the session and user are read
    assert responses["/admin/"].wsgi_request.user == editor
    assert responses["/api/v1/media/videos/1"].status_code == 404  # signed in, so past django_auth to the look-up


def _answers(client: Client, *, set_up: list[str]) -> list[tuple[int, dict]]:
    token = client.post("/api/v1/carts", "{}", content_type="application/json").json()["token"]
    responses = [
        client.post(f"/api/v1/carts/{token}/lines", {"sku": "SK-1", "quantity": 1}, content_type="application/json"),
        client.post(f"/api/v1/carts/{token}/lines", {"sku": "SK-1", "quantity": "x"}, content_type="application/json"),
        client.post(f"/api/v1/carts/{token}/lines", "sku=SK-1", content_type="application/x-www-form-urlencoded"),
        client.get(f"/api/v1/carts/{token}"),
        client.get("/api/v1/carts/nope/unknown"),
        client.put(f"/api/v1/carts/{token}", "{}", content_type="application/json"),
        client.get("/api/v1/offers", {"skus": "SK-1"}),
    ]
    # The skip is on (or off) in this run: otherwise comparing two runs' headers would prove nothing. (The 415
    # is refused by HostileInputMiddleware, before any of them.)
    reached = [response for response in responses if response.status_code != 415]
    assert [_set_up_by_site_only_middleware(response) for response in reached] == [set_up] * 6
    answers = []
    for response in responses:
        headers = {name: value for name, value in response.headers.items()
                   if name != "X-Request-ID"}  # a new id each request
        cookies = {name: morsel.OutputString() for name, morsel in response.cookies.items()}
        answers.append((response.status_code, headers, cookies, response.json().get("code")))
    return answers


@pytest.mark.django_db
def test_an_api_answers_headers_are_those_of_the_whole_middleware_chain(shop_settings, monkeypatch):
    """CSRF, CSP, security, X-Frame-Options, Vary and cookies as before, for a browser carrying the site's cookies."""
    variant_with_stock("SK-1", price="10.00", on_hand=50)
    editor = get_user_model().objects.create_user("editor", password="pw", is_staff=True)

    def browser() -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(editor)
        client.cookies["csrftoken"] = "x" * 32
        client.cookies["messages"] = "stale"
        return client

    skipping = _answers(browser(), set_up=[])
    monkeypatch.setattr("shop.api_edge.is_anonymous_commerce_api", lambda path_info: False)
    through_all = _answers(browser(), set_up=list(SITE_ONLY_ATTRIBUTES))

    assert [(status, code) for status, _headers, _cookies, code in skipping] == [
        (201, None), (400, "invalid"), (415, "unsupported_media_type"), (200, None), (404, "not_found"),
        (405, "method_not_allowed"), (200, None)]
    assert skipping == through_all
    assert {"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} <= set(skipping[0][1])


@pytest.mark.django_db
def test_the_asgi_handler_skips_them_too(shop_settings):
    """Production serves through Django's ASGI handler (settings.asgi); a site page there still gets them."""
    variant_with_stock("SK-1", price="10.00", on_hand=5)

    async def requests():
        client = AsyncClient()
        return [await client.get("/api/v1/offers", {"skus": "SK-1"}), await client.post("/api/v1/carts", "{}",
                content_type="application/json"), await client.get("/api/v1/account")]

    offers, cart, account = async_to_sync(requests)()

    assert [offers.status_code, cart.status_code] == [200, 201]
    assert [_set_up_by_site_only_middleware(response) for response in (offers, cart, account)] == [
        [], [], list(SITE_ONLY_ATTRIBUTES)]
