"""The database's record of owed cache settles (``OwedCacheSettle``, ``operations.owed_settles``): appended by writers
that never wait for each other, one row per process, cache and outage; claimed and committed before the settle so
that one payer pays each row and no lock is held while the cache is called; kept when the settle fails; paid with no
clock compared; and the settler thread looks at it often only after an outage it saw, on a connection it keeps."""

import datetime as dt
import threading
import time

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from content.services import page_cache
from creators.services import link_routes
from operations import cache_guard, owed_settles
from operations.models import OwedCacheSettle
from tests.support.threads import on_another_connection

HOLD = 3.0  # how long the first writer's transaction stays open after its loss was recorded


def _hold_open_after(lose_invalidation, recorded: threading.Event):
    def change():  # an editor's publish: its transaction goes on after the invalidation
        with transaction.atomic():
            lose_invalidation()
            recorded.set()
            time.sleep(HOLD)
    return change


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_recording_a_lost_invalidation_does_not_hold_up_another_changes_record(outage):
    outage.stop()
    recorded = threading.Event()
    editor = on_another_connection(_hold_open_after(page_cache.forget_all_pages, recorded))
    assert recorded.wait(10)
    started = time.monotonic()
    with transaction.atomic():
        page_cache.forget_pages([1])  # another change (a second editor), same cache
    waited = time.monotonic() - started
    editor.join(10)
    outage.start()

    assert waited < 1.0, f"the second change waited {waited:.2f}s on the first change's record"
    # One row per change that lost a write before either committed; their forgets again at the commit found a row
    # of this process unclaimed (``now_and_at_commit``) and appended none.
    assert list(OwedCacheSettle.objects.values_list("cache", flat=True)) == ["content.page_cache"] * 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sales_after_commit_forget_does_not_wait_for_an_editors_open_transaction(outage):
    outage.stop()
    recorded = threading.Event()
    editor = on_another_connection(_hold_open_after(lambda: page_cache.forget_page(7), recorded))
    assert recorded.wait(10)
    started = time.monotonic()
    page_cache.forget_pages([1])  # autocommit, as after a sale's commit (catalog_changed -> forget_pages)
    waited = time.monotonic() - started
    editor.join(10)
    outage.start()

    assert waited < 1.0, f"the buyer's request waited {waited:.2f}s after its sale committed"
    # The editor's and the buyer's (neither saw the other's committed); the editor's forget at its commit found one.
    assert OwedCacheSettle.objects.count() == 2


@pytest.mark.django_db(transaction=True)  # a payer claims outside a transaction
def test_a_debt_recorded_by_a_host_whose_clock_lags_is_settled_not_just_deleted(monkeypatch):
    settles = []
    monkeypatch.setattr(page_cache.cache, "_settle", lambda backend: settles.append("moved"))
    real_now = timezone.now()
    monkeypatch.setattr(owed_settles.timezone, "now", lambda: real_now + dt.timedelta(seconds=20))
    assert page_cache.cache._pay()  # this host (its clock ahead) settled its own debt
    settles.clear()
    # Another host (its clock right) then lost an invalidation and was killed: its record.
    OwedCacheSettle.objects.create(cache=page_cache.cache.name, lost_at=real_now)

    left = owed_settles.pay_recorded_settles()

    assert (left, OwedCacheSettle.objects.count(), settles) == (0, 0, ["moved"])


@pytest.mark.django_db(transaction=True)  # a payer claims outside a transaction
def test_rows_of_a_cache_whose_settle_fails_stay_owed_and_the_others_are_paid(monkeypatch):
    moved = []
    monkeypatch.setattr(cache_guard, "RETRY_SECONDS", 0)  # the failure does not pause the next cache's settle
    monkeypatch.setattr(page_cache.cache, "_settle", lambda backend: moved.append("pages"))

    def refused(backend):
        raise cache_guard.redis.ConnectionError("down")

    monkeypatch.setattr(link_routes.cache, "_settle", refused)
    for name in ("creators.link_routes", "content.page_cache", "creators.link_routes"):
        OwedCacheSettle.objects.create(cache=name, lost_at=timezone.now())

    left = owed_settles.pay_recorded_settles()
    cache_guard.forget_outage()

    assert (left, moved) == (1, ["pages"])  # one cache left
    assert list(OwedCacheSettle.objects.values_list("cache", "claim")) == [("creators.link_routes", None)] * 2


@pytest.mark.django_db(transaction=True)  # a payer claims outside a transaction
def test_a_settle_that_breaks_releases_its_claim_so_every_claimed_row_stays_owed(monkeypatch):
    def broken(backend):
        raise RuntimeError("a bug in the settle")

    monkeypatch.setattr(page_cache.cache, "_settle", broken)
    OwedCacheSettle.objects.create(cache=page_cache.cache.name, lost_at=timezone.now())

    with pytest.raises(RuntimeError):
        owed_settles.pay_recorded_settles()

    assert list(OwedCacheSettle.objects.values_list("claim", flat=True)) == [None]  # the next pass claims it


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_settlers_at_once_pay_each_recorded_row_once(monkeypatch):
    claimed, release, settles = threading.Event(), threading.Event(), []

    def slow_settle(backend):  # the first settler's move takes a while (Redis busy)
        settles.append(threading.current_thread().name)
        claimed.set()
        assert release.wait(10)

    monkeypatch.setattr(page_cache.cache, "_settle", slow_settle)
    OwedCacheSettle.objects.create(cache=page_cache.cache.name, lost_at=timezone.now())
    OwedCacheSettle.objects.create(cache=page_cache.cache.name, lost_at=timezone.now())
    first = on_another_connection(owed_settles.pay_recorded_settles)
    assert claimed.wait(10)
    second_left = owed_settles.pay_recorded_settles()  # another process's settler, meanwhile: the rows are claimed
    locked = _locked_rows()  # while the first settler calls the cache
    release.set()
    first.join(10)

    assert locked is False  # claimed and committed before the settle: no row lock is held across the cache call
    assert second_left == 0
    assert len(settles) == 1
    assert OwedCacheSettle.objects.count() == 0


@pytest.mark.django_db
def test_the_settler_looks_at_the_database_often_only_after_an_outage_this_process_saw(monkeypatch):
    looks = []
    monkeypatch.setattr(owed_settles, "pay_recorded_settles", lambda: looks.append(1) or 0)
    cache_guard.forget_outage()
    monkeypatch.setattr(owed_settles, "_settler_looked_at", None)

    for _ in range(3):  # passes every SETTLE_SECONDS with nothing seen: one look per IDLE_SETTLE_SECONDS
        owed_settles._settle_in_thread()
    idle = len(looks)
    owed_settles._settler_looked_at -= owed_settles.IDLE_SETTLE_SECONDS
    owed_settles._settle_in_thread()
    after_idle_interval = len(looks)
    cache_guard._breaker.failed(cache_guard.redis.ConnectionError("down"))
    owed_settles._settle_in_thread()
    owed_settles._settle_in_thread()
    alert = len(looks)
    cache_guard._breaker.last_failed -= owed_settles.ALERT_SECONDS
    cache_guard._breaker.down_until = 0.0
    owed_settles._settle_in_thread()
    calm_again = len(looks)
    cache_guard.forget_outage()

    assert (idle, after_idle_interval, alert, calm_again) == (1, 2, 4, 4)


@pytest.mark.django_db(transaction=True)
def test_the_settler_keeps_its_connection_between_looks_and_drops_it_when_a_look_fails(monkeypatch):
    cache_guard.forget_outage()
    monkeypatch.setattr(owed_settles, "settler_is_alert", lambda: True)
    seen, failed = [], []

    def passes():
        owed_settles._settle_in_thread()
        seen.append(connection.connection)
        owed_settles._settle_in_thread()
        seen.append(connection.connection)
        monkeypatch.setattr(owed_settles, "pay_recorded_settles", _refused)
        try:
            owed_settles._settle_in_thread()
        except DatabaseError:
            failed.append(connection.connection)

    thread = threading.Thread(target=passes)
    thread.start()
    thread.join(20)
    connections.close_all()

    assert seen[0] is not None and seen[1] is seen[0]
    if connection.vendor == "postgresql":  # SQLite's in-memory test database is never closed by Django
        assert failed == [None]
    else:
        assert len(failed) == 1


def _refused(*args, **kwargs):
    raise DatabaseError("the database went away")


def _locked_rows() -> bool:
    """Whether another transaction holds a lock on a recorded row (asked without waiting for it)."""
    try:
        with transaction.atomic():
            list(OwedCacheSettle.objects.select_for_update(nowait=True))
    except DatabaseError:
        return True
    return False


@pytest.mark.django_db
def test_a_caches_unpaid_rows_are_found_by_an_index_on_cache_and_claim():
    constraints = connection.introspection.get_constraints(connection.cursor(), OwedCacheSettle._meta.db_table)

    indexed = [spec["columns"] for spec in constraints.values() if spec["index"] and not spec["primary_key"]]

    assert ["cache", "claim"] in indexed
