"""Which lost cache writes are owed, and who pays them: a lost *fill* (a route or page stored, a token added) is a
later miss and owes nothing; a lost *invalidation* is owed by its process and recorded in the database
(``OwedCacheSettle``), so that when the owing process is killed another process's settler pays it once Redis is
back. The settler and the click-spool replayer run in every process, forked children too."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import caches

from content.services import page_cache
from creators.services import link_routes
from operations import owed_settles
from operations.models import OwedCacheSettle
from operations.process_loops import running_loops
from tests.creators.test_link_routes import where
from tests.support.servers import database_url

ROOT = Path(__file__).resolve().parents[2]


def _generation(key: str):
    return caches.create_connection("default").get(key)  # as another app process reads it


@pytest.mark.django_db
def test_fills_lost_in_an_outage_owe_nothing_and_move_no_generation(mug_link, outage, site_tree, client):
    mug_link("mug-anna")
    routes_before = link_routes.cache.token(link_routes._GENERATION_KEY)
    pages_before = page_cache.cache.token(page_cache._GENERATION_KEY)

    outage.stop()
    followed = where(client, "mug-anna")  # a route miss: read from the database, its fill lost
    lookup = page_cache.look_up_page(41, variant="host=shop.example.com")  # the token adds lost
    page_cache.store_page(lookup, b'{"id": 41}')
    page_cache.pages_showing([1])  # the list's fill lost
    owed = (link_routes.cache.owes_settle, page_cache.cache.owes_settle)
    recorded = OwedCacheSettle.objects.count()
    outage.start()
    owed_settles.settle_owed()

    assert followed[0] == 302
    assert owed == (False, False)
    assert recorded == 0
    assert _generation(link_routes._GENERATION_KEY) == routes_before  # every other process's routes kept
    assert _generation(page_cache._GENERATION_KEY) == pages_before


@pytest.mark.django_db(transaction=True)  # the payer claims the rows outside a transaction, as the settler does
def test_lost_invalidations_are_recorded_one_row_per_cache_and_paid_by_one_settle_per_cache(
        mug_link, wagtail_base_data, outage, site_tree, monkeypatch):
    link = mug_link("mug-anna")
    settles = []
    for shared in (link_routes.cache, page_cache.cache):
        monkeypatch.setattr(shared, "_settle", lambda backend, settle=shared._settle, name=shared.name: (
            settle(backend), settles.append(name)))  # counted once it worked (an attempt with Redis down raises)

    outage.stop()
    link.active = False
    link.save()
    link_routes.forget_link_routes(["mug-anna", "mug-bob"])
    page_cache.forget_all_pages()
    rows = list(OwedCacheSettle.objects.order_by("pk").values_list("cache", flat=True))
    outage.start()
    still_owed = owed_settles.settle_owed()

    # One row per cache in this outage: the link's save recorded one, the explicit forget found it unclaimed.
    assert rows == ["creators.link_routes", "content.page_cache"]
    assert still_owed == 0
    assert OwedCacheSettle.objects.count() == 0
    # This process's own settle paid its recorded debt too: one generation move per cache, not two.
    assert sorted(settles) == ["content.page_cache", "creators.link_routes"]


_KILLED_WHILE_OWING = """
import os, signal
import django
django.setup()
from creators.models import TrackedLink
from creators.services import link_routes

link = TrackedLink.objects.get(code="mug-anna")
link.active = False
link.save()  # Redis is down: the forget (now and at the commit) is lost and owed
assert link_routes.cache.owes_settle
os.kill(os.getpid(), signal.SIGKILL)  # killed before its settler could pay
"""


@pytest.mark.django_db(transaction=True)
def test_a_settle_owed_by_a_killed_process_is_paid_by_another_once_redis_is_back(
        mug_link, wagtail_base_data, outage, settler, site_tree, client):
    # (wagtail_base_data: an earlier transactional test flushed Wagtail's rows)
    mug_link("mug-anna")
    assert where(client, "mug-anna")[0] == 302  # the route cached in Redis under the current generation
    stored_under = _generation(link_routes._GENERATION_KEY)

    outage.stop()
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env.update({"DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url(), "CACHE_URL": outage.url})
    killed = subprocess.run([sys.executable, "-c", _KILLED_WHILE_OWING], cwd=ROOT, env=env, capture_output=True,
                            timeout=120)
    assert link_routes.cache.get("any-key") is None  # this process's requests meet the outage too: its settler is alert
    recorded = list(OwedCacheSettle.objects.values_list("cache", flat=True))
    owed_here = link_routes.cache.owes_settle
    outage.start()  # back with the route the killed process could not forget
    deadline = time.monotonic() + 20
    while OwedCacheSettle.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # no request: this process's settler thread pays
    link_routes._local_routes.forget(["mug-anna"])

    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    assert (recorded, owed_here) == (["creators.link_routes"], False)
    assert OwedCacheSettle.objects.count() == 0
    assert _generation(link_routes._GENERATION_KEY) not in (None, stored_under)
    assert where(client, "mug-anna") == (404, "")


def test_a_forked_child_starts_its_own_settler_thread(monkeypatch):
    monkeypatch.setattr(owed_settles, "SETTLE_SECONDS", 3600)  # no pass in either process during the test
    stop = owed_settles.start_settler()
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:  # the child: as a gunicorn worker forked from a --preload master
            try:
                time.sleep(0.2)
                os.write(write_end, ",".join(running_loops()).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        in_child = os.read(read_end, 1000).decode().split(",")
        os.waitpid(pid, 0)
    finally:
        os.close(read_end)
        stop.set()

    assert "cache-settler" in in_child
