"""``/r/<code>``'s fast path (``creators.fast_follow``, mounted in ``settings.asgi``) answers exactly as
Django's whole stack does: the same status, Location, cookies and headers for the same request, and
whatever it cannot decide without the database (an uncached, unknown, blocked or inactive link, hostile
input) is answered by Django itself. Each request is made twice, to Django's ASGI handler and to the
fast path in front of it, by the same reader."""

from urllib.parse import parse_qs, urlsplit

import pytest

from creators.fast_follow import NOT_FOR_FOLLOWS, FastFollow, follow_handler
from creators.models import Click, LinkTarget
from creators.services import click_buffer, click_drain, link_routes
from creators.services.links import create_tracked_link
from readers.services.shares import block_shares
from shop.attribution import REFERRAL_COOKIE, read_attribution
from tests.creators.asgi_calls import Answer, CountingDjango, asgi_get, comparable
from tests.creators.helpers import PHONE
from tests.factories import make_creator, make_guide, make_product
from tests.readers.reward_helpers import share_of

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST_ID = "fast-follow-0001"  # sent by the proxy: both answers carry it back


class Both:
    """Django's ASGI handler and the fast path in front of it (made after the test's settings)."""

    def __init__(self) -> None:
        self.django = CountingDjango()
        self.fast = FastFollow(self.django)

    def get(self, path: str, *, user_agent: str = PHONE, headers: dict[str, str] | None = None,
            **options) -> tuple[Answer, Answer, bool]:
        """(Django's answer, the fast path's answer, whether the fast path answered it itself)."""
        headers = {"User-Agent": user_agent, "X-Request-ID": REQUEST_ID, **(headers or {})}
        from_django = asgi_get(self.django, path, headers=headers, **options)
        calls = self.django.calls
        from_fast = asgi_get(self.fast, path, headers=headers, **options)
        return from_django, from_fast, self.django.calls == calls

    def same(self, path: str, **options) -> tuple[Answer, bool]:
        from_django, from_fast, answered_fast = self.get(path, **options)
        assert comparable(from_fast) == comparable(from_django)
        return from_fast, answered_fast


def written_clicks():
    """The clicks counted so far, once the buffer and the queue are written out."""
    click_buffer.flush_clicks()
    click_drain.drain_all_clicks()
    return Click.objects.order_by("pk")


def click_in(answer: Answer) -> int | None:
    return read_attribution(parse_qs(urlsplit(answer.header("Location")).query)["ref"][0], sku="MUG-1").click_id


@pytest.fixture
def both(wagtail_base_data, queue) -> Both:
    return Both()


@pytest.fixture
def mug_link(wagtail_base_data):
    anna = make_creator("anna")
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    guide = make_guide(anna)
    return create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=product, page=guide, block_id="b-1",
                               code="mug-anna")


def test_a_cached_follow_is_answered_by_the_fast_path_with_djangos_exact_answer(both, mug_link):
    create_tracked_link(mug_link.creator, target_kind=LinkTarget.STOREFRONT, code="anna-shop")

    answer, answered_fast = both.same("/r/mug-anna/", headers={"Referer": "https://insta.example/p/1?u=me"})

    click = written_clicks().get()  # Django's follow and the fast path's are one visit: one click
    assert answered_fast and answer.status == 302
    assert answer.header("Location").startswith("/buy/MUG-1/?ref=")
    assert {name: answer.header(name) for name in ("referrer-policy", "x-frame-options", "x-content-type-options",
                                                   "x-request-id", "cache-control")} == {
        "referrer-policy": "no-referrer", "x-frame-options": "DENY", "x-content-type-options": "nosniff",
        "x-request-id": REQUEST_ID, "cache-control": "max-age=0, no-cache, no-store, must-revalidate, private"}
    assert "default-src 'self'" in answer.header("content-security-policy")
    assert (click.link_id, click.referrer) == (mug_link.pk, "https://insta.example/p/1")
    for path, options in [("/r/mug-anna", {}), ("/r/mug-anna/", {"query": "utm_source=insta"}),
                          ("/r/mug-anna/", {"method": "HEAD"}), ("/r/anna-shop/", {}),
                          ("/r/mug-anna/", {"user_agent": "curl/8.5.0"})]:  # a bot: redirected, not counted
        both.get(path, **options)  # the storefront's route cached by Django's first answer
        answer, answered_fast = both.same(path, **options)
        assert answered_fast and answer.status == 302, (path, options)
    assert written_clicks().count() == 2


def test_unknown_blocked_inactive_and_uncached_links_are_left_to_django(both, mug_link):
    guide_share = share_of(mug_link.page)
    from_django, from_fast, answered_fast = both.get(f"/r/{guide_share.code}/")  # first follow: a database read
    assert (from_fast.status, answered_fast) == (302, True)  # Django's answer cached the route for the fast path
    block_shares([guide_share.pk], reason="fraud")
    mug_link.active = False
    mug_link.save()

    for path in (f"/r/{guide_share.code}/", "/r/mug-anna/", "/r/no-such-link/"):
        answer, answered_fast = both.same(path)
        assert (answer.status, answered_fast) == (404, False), path

    fresh = create_tracked_link(mug_link.creator, target_kind=LinkTarget.STOREFRONT, code="anna-shop")
    calls = both.django.calls
    assert asgi_get(both.fast, f"/r/{fresh.code}/").status == 302 and both.django.calls == calls + 1  # not cached
    assert asgi_get(both.fast, f"/r/{fresh.code}/").status == 302 and both.django.calls == calls + 1  # cached now


def test_the_client_limit_and_the_trusted_proxies_are_the_same_rules(both, mug_link, settings, steady_click_clock):
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "click": "3/m"}
    settings.KOLSHOP_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxied = {"client": "10.0.0.5", "headers": {"X-Forwarded-For": "198.51.100.9, 10.0.0.6"}}
    spoofed = {"client": "203.0.113.7", "headers": {"X-Forwarded-For": "198.51.100.9"}}

    via_proxy, fast_proxied = both.same("/r/mug-anna/", **proxied)
    claimed, fast_spoofed = both.same("/r/mug-anna/", **spoofed)  # not from a proxy: its header is its own claim
    assert fast_proxied and fast_spoofed and click_in(via_proxy) != click_in(claimed)
    assert written_clicks().count() == 2  # two clients, each one visit

    for n in range(2):  # 203.0.113.7's second and third reader: the limit is 3 clicks a minute per client
        both.get("/r/mug-anna/", user_agent=f"{PHONE} reader {n}")
    over, answered_fast = both.same("/r/mug-anna/", user_agent=f"{PHONE} reader 9")
    assert answered_fast and over.status == 302 and written_clicks().count() == 4
    assert click_in(over) is None  # over the limit: redirected, not counted (by Django's follow, nor by this one)


def test_hostile_input_gets_djangos_own_answer(both, mug_link):
    both.get("/r/mug-anna/")
    cases = [("/r/mug\x00anna/", {}, 400), ("/r/mug-anna/", {"query": "x=%00"}, 400),
             ("/r/mug-anna/", {"headers": {"Host": "evil.example"}}, 400), ("/r/mug-anna/", {"method": "POST"}, 403),
             ("/r/" + "m" * 70 + "/", {}, 404), ("/r/mug$anna/", {}, 404), ("/r/mug-anna/extra/", {}, 404)]
    for path, options, status in cases:
        answer, answered_fast = both.same(path, **options)
        assert (answer.status, answered_fast) == (status, False), (path, options)
    assert written_clicks().count() == 1


def test_a_reader_share_sets_the_same_referral_cookie_and_keeps_an_earlier_one(both, mug_link):
    guide_share = share_of(mug_link.page)
    path = f"/r/{guide_share.code}/"
    both.get(path, user_agent="warm-up reader")

    first, answered_fast = both.same(path)
    cookie = next(value for name, value in first.headers if name == "set-cookie")
    assert answered_fast and cookie.startswith(f"{REFERRAL_COOKIE}=")
    later, answered_fast = both.same(path, user_agent=f"{PHONE} later", headers={"Cookie": cookie.split(";")[0]})
    assert answered_fast and later.header("set-cookie") is None  # the first share's click wins


def test_the_https_redirect_and_hsts_come_from_the_same_security_middleware(wagtail_base_data, queue, mug_link,
                                                                             settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    both = Both()
    both.get("/r/mug-anna/", scheme="https")

    plain, answered_fast = both.same("/r/mug-anna/")
    assert (plain.status, plain.header("Location"), answered_fast) == (301, "https://localhost/r/mug-anna/", True)
    secure, answered_fast = both.same("/r/mug-anna/", scheme="https")
    assert (secure.status, secure.header("strict-transport-security"), answered_fast) == (302, "max-age=3600", True)


def test_only_middleware_named_with_a_reason_is_left_out_of_follows(settings):
    assert all(reason for reason in NOT_FOR_FOLLOWS.values())
    chain, handler = [], follow_handler()
    while hasattr(handler, "get_response"):
        chain.append(f"{type(handler).__module__}.{type(handler).__qualname__}")
        handler = handler.get_response
    assert chain == [path for path in settings.MIDDLEWARE if path not in NOT_FOR_FOLLOWS]
    assert chain == ["operations.request_context.RequestIdMiddleware", "django.middleware.security.SecurityMiddleware",
                     "settings.csp.ContentSecurityPolicyMiddleware", "shop.api_edge.HostileInputMiddleware",
                     "django.middleware.common.CommonMiddleware",
                     "django.middleware.clickjacking.XFrameOptionsMiddleware"]


class UnusedHere:
    """A middleware that opts out, as debug-only middleware do (``MiddlewareNotUsed``)."""

    def __init__(self, get_response):
        from django.core.exceptions import MiddlewareNotUsed

        raise MiddlewareNotUsed


def test_a_middleware_that_opts_out_is_left_out_as_django_leaves_it(both, mug_link, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.creators.test_fast_follow.UnusedHere"]
    both.same("/r/mug-anna/")  # the first follow caches the route

    _answer, answered_fast = both.same("/r/mug-anna/")

    assert answered_fast


def test_a_fast_path_that_cannot_be_set_up_leaves_every_follow_to_django(both, mug_link, monkeypatch):
    both.same("/r/mug-anna/")
    monkeypatch.setattr("creators.fast_follow.follow_handler", lambda: 1 / 0)
    restarted = Both()  # a new process: its fast path is set up on its first follow

    answers = [restarted.same("/r/mug-anna/") for _ in range(2)]

    assert [(answer.status, answered_fast) for answer, answered_fast in answers] == [(302, False), (302, False)]


def test_with_every_thread_busy_a_follow_needing_one_goes_to_django_instead_of_queueing(both, mug_link):
    both.same("/r/mug-anna/")
    slots = both.fast._slots()
    for _ in range(32):
        assert slots.acquire(blocking=False)

    # A route in this process's memory needs no thread: answered on the event loop.
    on_loop, answered_fast = both.same("/r/mug-anna/")
    assert (on_loop.status, answered_fast) == (302, True)

    link_routes._local_routes.forget(["mug-anna"])  # its route now from the shared cache: a round trip, a thread
    calls = both.django.calls
    answer = asgi_get(both.fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} another reader"})

    assert (answer.status, both.django.calls) == (302, calls + 1)
