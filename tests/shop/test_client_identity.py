"""The client's address behind trusted proxies, and the daily keyed hashes that stand for it."""

from datetime import datetime, timedelta, timezone as tz

import pytest
from django.test import RequestFactory

from shop.services.buy_links import Visitor
from shop.services.client_identity import _client_ip_seen, client_ip, client_key, client_subnet, visitor_key

PROXIES = ["10.0.0.0/8", "127.0.0.1/32"]


def _request(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.fixture
def behind_proxies(settings):
    settings.KOLSHOP_TRUSTED_PROXIES = PROXIES
    settings.KOLSHOP_TRUSTED_PROXY_COUNT = 0
    return settings


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.KOLSHOP_TRUSTED_PROXIES = []
    settings.KOLSHOP_TRUSTED_PROXY_COUNT = 0

    assert client_ip(_request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(behind_proxies):
    assert client_ip(_request("10.0.0.2", "198.51.100.7")) == "198.51.100.7"
    # the client claims an address of its own: the hop our proxy appended wins
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"
    # two proxies of ours (edge 10.0.0.9, then 10.0.0.2): both are passed over
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.9")) == "198.51.100.7"


def test_a_header_from_an_untrusted_peer_is_ignored_entirely(behind_proxies):
    assert client_ip(_request("203.0.113.50", "198.51.100.7")) == "203.0.113.50"
    assert client_ip(_request("203.0.113.50", "10.0.0.1")) == "203.0.113.50"


def test_a_hop_that_is_not_an_address_stops_the_walk_at_the_last_trusted_hop(behind_proxies):
    assert client_ip(_request("10.0.0.2", "198.51.100.7, not-an-ip")) == "10.0.0.2"
    assert client_ip(_request("10.0.0.2", "198.51.100.7:4431")) == "10.0.0.2"
    assert client_ip(_request("10.0.0.2", "")) == "10.0.0.2"


def test_a_proxy_count_takes_that_many_hops_from_the_right(settings):
    settings.KOLSHOP_TRUSTED_PROXIES = []
    settings.KOLSHOP_TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("192.0.2.1", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"

    settings.KOLSHOP_TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("192.0.2.1", "1.2.3.4, 198.51.100.7")) == "1.2.3.4"


def test_count_and_list_together_stop_at_whichever_comes_first(behind_proxies):
    behind_proxies.KOLSHOP_TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2", "198.51.100.7, 10.0.0.9")) == "10.0.0.9"
    assert client_ip(_request("203.0.113.50", "198.51.100.7")) == "203.0.113.50"


def test_addresses_are_normalised_and_ipv6_counts_per_64(behind_proxies):
    assert client_ip(_request("::ffff:10.0.0.2", "::ffff:198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request("unix-socket", "198.51.100.7")) == ""
    assert client_subnet("2001:db8:1:2:aaaa::1") == client_subnet("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::"
    assert client_subnet("198.51.100.7") == "198.51.100.7"


def test_visitor_hashes_change_daily_and_the_previous_day_is_kept_for_rolling_windows(settings):
    settings.KOLSHOP_VISITOR_HASH_SECRET = "s3cret"
    before_midnight = datetime(2026, 3, 2, 23, 50, tzinfo=tz.utc)
    after_midnight = before_midnight + timedelta(minutes=20)

    monday = visitor_key(ip="203.0.113.7", user_agent="Browser", now=before_midnight)
    tuesday = visitor_key(ip="203.0.113.7", user_agent="Browser", now=after_midnight)
    other_browser = visitor_key(ip="203.0.113.7", user_agent="Other", now=before_midnight)

    assert tuesday.current != monday.current
    assert tuesday.previous == monday.current
    assert tuesday.lock_name == monday.lock_name
    assert len({monday.current, other_browser.current}) == 2
    assert all(len(value) == 64 and "203.0.113.7" not in value for value in (monday.current, monday.lock_name))

    settings.KOLSHOP_VISITOR_HASH_SECRET = "another"
    assert visitor_key(ip="203.0.113.7", user_agent="Browser", now=before_midnight).current != monday.current


def test_a_client_key_ignores_the_browser_and_the_ipv6_host_part():
    at = datetime(2026, 3, 2, 12, tzinfo=tz.utc)

    assert client_key(ip="2001:db8::1", now=at) == client_key(ip="2001:db8::ffff", now=at)
    assert client_key(ip="203.0.113.7", now=at) != client_key(ip="203.0.113.8", now=at)


def test_the_hashes_stay_those_already_stored(settings):
    """Clicks, page views and click-limit rows already stored hold these values: HMAC-SHA256 keyed with the secret
    of ``kolshop.<purpose>.v2|<UTC day>|<parts>`` (``.lock|<parts>`` for the lock), however they are computed."""
    settings.KOLSHOP_VISITOR_HASH_SECRET = "s3cret"

    key = visitor_key(ip="203.0.113.7", user_agent="Browser", now=datetime(2026, 3, 2, 23, 50, tzinfo=tz.utc))

    assert (key.current, key.previous, key.lock_name) == (
        "12a183ddbc233337b20ae341d65ddd829965b3f231bd132eb75632762a8d3dec",
        "0b2c0b6c1ec969f30029c474d24b666ce13dc83e1ae56089547553f93dfc1993",
        "4f909d16083ef5198bf1ff0dbd050cfec61b431bc92f04e7c82f86e540aef98e",
    )


def test_the_same_request_is_read_again_under_changed_proxy_settings(settings):
    request = _request("10.0.0.5", "198.51.100.1, 203.0.113.7")
    settings.KOLSHOP_TRUSTED_PROXY_COUNT = 0
    settings.KOLSHOP_TRUSTED_PROXIES = []
    assert client_ip(request) == "10.0.0.5"

    settings.KOLSHOP_TRUSTED_PROXIES = PROXIES
    assert client_ip(request) == "203.0.113.7"

    settings.KOLSHOP_TRUSTED_PROXIES = []
    settings.KOLSHOP_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "198.51.100.1"


def test_a_long_forwarded_header_is_read_as_a_short_one(behind_proxies):
    """Read right, and not kept: a client sending a new long header each time fills no cache with it."""
    padding = ", ".join(f"198.51.100.{n}" for n in range(40))  # the client's own claims, left of the real hops
    _client_ip_seen.cache_clear()  # only the calls below count (and the cache is not full from earlier tests)

    assert client_ip(_request("10.0.0.5", f"{padding}, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"
    assert client_ip(_request("10.0.0.5", f"{padding}, not-an-address, 10.0.0.9")) == "10.0.0.9"
    assert _client_ip_seen.cache_info().currsize == 0

    assert client_ip(_request("10.0.0.5", "198.51.100.39, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"
    assert _client_ip_seen.cache_info().currsize == 1  # a short one is kept


def test_a_visitor_is_read_from_the_request_without_copying_its_headers(behind_proxies):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7",
                                   HTTP_USER_AGENT="Browser/1.0", HTTP_REFERER="https://blog.example/post")
    bare = _request("203.0.113.8")

    assert Visitor.of(request) == Visitor(ip="203.0.113.7", user_agent="Browser/1.0",
                                          referrer="https://blog.example/post")
    assert Visitor.of(bare) == Visitor(ip="203.0.113.8", user_agent="", referrer="")
    assert "headers" not in vars(request) and "headers" not in vars(bare)  # request.headers copies all of META
