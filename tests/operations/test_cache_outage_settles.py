"""What a process owes the cache after an outage (a write the stopped Redis did not take) is paid by its settler
thread within seconds of the server coming back, traffic or not, so other processes (and ones started after the
outage, which can't know about the lost write) stop seeing what it invalidated. Link routes owe theirs too."""

import time

import pytest
from django.core.cache import caches

from creators.services import link_routes
from operations import owed_settles
from tests.creators.test_link_routes import where

pytestmark = pytest.mark.django_db


def _another_process():
    """A cache backend of its own, as another app process has: it reads Redis, owing and knowing nothing."""
    return caches.create_connection("default")


def _until_settled(shared) -> bool:
    deadline = time.monotonic() + 20
    while shared.owes_settle and time.monotonic() < deadline:
        time.sleep(0.05)
    return not shared.owes_settle


def test_a_link_disabled_during_an_outage_is_a_404_once_the_cache_is_back(mug_link, outage, site_tree, client):
    link = mug_link("mug-anna")
    assert where(client, "mug-anna")[0] == 302  # the route now cached in Redis

    outage.stop()
    link.active = False
    link.save()  # the forget is lost with Redis down: owed
    owed = link_routes.cache.owes_settle
    during = where(client, "mug-anna")
    outage.start()  # back with the route it had
    link_routes._local_routes.forget(["mug-anna"])  # this process's few seconds' copy gone
    after = where(client, "mug-anna")

    assert owed is True
    assert during == after == (404, "")
    assert link_routes.cache.owes_settle is False


def test_the_settler_thread_pays_a_lost_route_forget_without_traffic_and_other_processes_see_it(
        mug_link, outage, settler, site_tree, client):
    link = mug_link("mug-anna")
    assert where(client, "mug-anna")[0] == 302
    other = _another_process()
    stored_under, _route = other.get("kolshop:link-route:v3:mug-anna")
    assert other.get("kolshop:link-route:generation") == stored_under  # usable before the outage

    outage.stop()
    link.active = False
    link.save()
    outage.start()
    settled = _until_settled(link_routes.cache)  # no request meanwhile: the thread paid
    other = _another_process()

    assert settled is True
    assert other.get("kolshop:link-route:v3:mug-anna")[0] == stored_under  # the entry is still there...
    assert other.get("kolshop:link-route:generation") != stored_under  # ...under a generation no longer current


def test_the_settler_thread_pays_a_lost_page_invalidation_without_traffic(outage, settler):
    from content.services import page_cache

    lookup = page_cache.look_up_page(41, variant="host=shop.example.com")
    page_cache.store_page(lookup, b'{"id": 41}')
    generation_before = _another_process().get(page_cache._GENERATION_KEY)

    outage.stop()
    page_cache.forget_all_pages()  # a site's hostname changed, say: lost, owed
    owed = page_cache.cache.owes_settle
    outage.start()
    settled = _until_settled(page_cache.cache)
    other = _another_process()
    entry = other.get(lookup.key)

    assert (owed, settled) == (True, True)
    assert entry[1] == generation_before  # the entry (etag, generation, version) kept by Redis...
    assert other.get(page_cache._GENERATION_KEY) not in (None, generation_before)  # ...no longer served


def test_settle_owed_pays_nothing_while_the_server_is_still_down_and_everything_once_it_is_back(outage):
    from content.services import page_cache

    outage.stop()
    page_cache.forget_all_pages()
    link_routes.forget_link_routes(["mug-anna"])
    still_down = owed_settles.settle_owed()
    outage.start()
    back = owed_settles.settle_owed()

    assert (still_down, back) == (2, 0)
    assert (page_cache.cache.owes_settle, link_routes.cache.owes_settle) == (False, False)


def test_a_link_changed_during_a_rolling_deploy_is_forgotten_for_the_previous_release_too(mug_link, site_tree):
    from django.core.cache import cache

    link = mug_link("mug-anna")
    cache.set("kolshop:link-route:v2:mug-anna", ("the previous release's route",), 300)

    link.active = False
    link.save()

    assert cache.get("kolshop:link-route:v2:mug-anna") is None


def test_a_link_the_previous_release_disables_during_a_rolling_deploy_is_not_followed_by_this_release(
        mug_link, site_tree, client):
    from django.core.cache import cache

    from creators.models import TrackedLink

    link = mug_link("mug-anna")
    assert where(client, "mug-anna")[0] == 302  # stored as v3, with its v2 twin the previous release reads
    twin = cache.get("kolshop:link-route:v2:mug-anna")

    # A previous-release node disables the link: its forget deletes the v2 key only.
    TrackedLink.objects.filter(pk=link.pk).update(active=False)
    cache.delete("kolshop:link-route:v2:mug-anna")
    link_routes._local_routes.forget(["mug-anna"])  # this process's few seconds' copy gone
    kept = cache.get("kolshop:link-route:v3:mug-anna")
    after = where(client, "mug-anna")

    assert (twin[0], twin[6]) == (link.pk, "MUG-1")  # the previous release's format: the route's fields alone
    assert kept[1] == twin  # this release's entry still there...
    assert after == (404, "")  # ...and not used without its twin


def test_a_link_the_previous_release_disables_and_then_follows_during_a_rolling_deploy_is_not_followed_by_this_release(
        mug_link, site_tree, client):
    from django.core.cache import cache

    from creators.models import TrackedLink

    link = mug_link("mug-anna")
    assert where(client, "mug-anna")[0] == 302  # stored as v3, with its v2 twin

    # A previous-release node disables the link (its forget deletes the v2 key only), then one of its processes
    # follows the link and stores what it read, "unknown", in the v2 key.
    TrackedLink.objects.filter(pk=link.pk).update(active=False)
    cache.set("kolshop:link-route:v2:mug-anna", "unknown", 300)
    link_routes._local_routes.forget(["mug-anna"])
    after = where(client, "mug-anna")

    assert after == (404, "")  # the v3 entry's twin no longer holds its route: not used


def _until(done) -> bool:
    deadline = time.monotonic() + 20
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)
    return done()


def test_after_a_settle_the_settler_deletes_the_previous_releases_route_twins_it_would_still_follow(
        mug_link, outage, settler, site_tree, client):
    link = mug_link("mug-anna")
    assert where(client, "mug-anna")[0] == 302  # stored as v3, with its v2 twin the previous release reads
    other = _another_process()  # a previous-release process: it reads v2 keys, which know no generation
    other.set("kolshop:link-route:v2:mug-bob", ("a route a previous-release process stored",), 300)
    other.set("kolshop:catalog-note", "not a route", 300)

    outage.stop()
    link.active = False
    link.save()  # the forget of both keys is lost: the v2 twin would lead the previous release to the mug
    outage.start()
    settled = _until_settled(link_routes.cache)  # no request meanwhile: the thread paid
    twins_gone = _until(lambda: other.get("kolshop:link-route:v2:mug-anna") is None)

    assert (settled, twins_gone) == (True, True)
    assert other.get("kolshop:link-route:v2:mug-bob") is None  # every twin stored before the settle
    assert other.get("kolshop:catalog-note") == "not a route"
    assert other.get("kolshop:link-route:v3:mug-anna") is not None  # this release's entry: void by its generation


def test_a_settle_a_request_pays_scans_nothing_on_the_request_and_the_settler_deletes_the_twins_after(
        mug_link, outage, monkeypatch, site_tree, client):
    link = mug_link("mug-anna")
    assert where(client, "mug-anna")[0] == 302
    other = _another_process()
    other.set("kolshop:link-route:v2:mug-bob", ("a route a previous-release process stored",), 300)

    outage.stop()
    link.active = False
    link.save()
    outage.start()
    link_routes._local_routes.forget(["mug-anna"])
    after = where(client, "mug-anna")  # this request pays the settle (no settler thread yet)
    twin_after_the_request = other.get("kolshop:link-route:v2:mug-bob")
    monkeypatch.setattr(owed_settles, "SETTLE_SECONDS", 0.05)
    stop = owed_settles.start_settler()
    try:
        twins_gone = _until(lambda: other.get("kolshop:link-route:v2:mug-bob") is None)
    finally:
        stop.set()

    assert after == (404, "")
    assert twin_after_the_request is not None  # no keyspace scan on a request
    assert twins_gone is True
