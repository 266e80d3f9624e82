"""Clicks, page views and add-to-cart events written while the partition migration runs (PostgreSQL, real threads): the drainer's batch insert
waits behind the migration's ACCESS EXCLUSIVE lock on the old ``creators_click``, which the migration then
drops. Once let go, PostgreSQL looks the table's name up again (the lock wait saw it change), so the insert
lands in the new partitioned table. The drainer here dies before acknowledging the batch, so the clicks stay
pending in the Redis stream; the retry writes them again and each is stored exactly once
(``ON CONFLICT (id, clicked_at) DO NOTHING``)."""

import threading
import time
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from creators.models import Click, PageView
from creators.services import click_drain, click_ids, click_queue
from operations import partitions
from shop.models import AddToCartEvent
from tests.creators.report_fixtures import DAY
from tests.operations.test_partitions import BEFORE_PARTITIONS, build_historical_world, partition_of, rows

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAITING_INSERT = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                  "AND query LIKE 'INSERT INTO creators_click %%'")


def queued_clicks(world: dict[str, list[int]], count: int) -> list[click_queue.QueuedClick]:
    return [click_queue.QueuedClick.of(
        {"link_id": world["link"][0], "creator_id": world["creator"][0], "page_id": None, "block_id": "",
         "product_id": None, "clicked_at": DAY + timedelta(minutes=number), "visitor_hash": f"during-{number}",
         "referrer": "", "ua_class": "mobile"},
        click_id=click_ids.reserve_click_id(), visitor_candidates=(f"during-{number}", f"during-{number}"),
        window_seconds=3600) for number in range(count)]


def in_thread(target, outcome: list) -> threading.Thread:
    def run():
        try:
            outcome.append(target())
        except Exception as error:  # noqa: BLE001  (the test reads what happened)
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_click_batch_blocked_behind_the_partition_migration_is_written_once_after_the_retry(
        wagtail_base_data, redis_url, settings, monkeypatch):
    settings.REDIS_URL = redis_url
    redis.Redis.from_url(redis_url).flushdb()
    monkeypatch.setattr(click_ids, "_id_block", click_ids._IdBlock())
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_PARTITIONS)
    try:
        world = build_historical_world(executor.loader.project_state(BEFORE_PARTITIONS).apps, when=DAY)
        clicks = queued_clicks(world, 20)
        assert click_queue.count_clicks(clicks) == [click.click_id for click in clicks]  # in the stream

        # the migration holds the old table locked, copied, and waits until the drainer's insert queues behind it
        locked, drainer_waits = threading.Event(), threading.Event()
        swap = partitions._swap

        def swap_once_the_drainer_waits(table: str, new: str) -> int:
            if table == Click._meta.db_table:
                locked.set()
                assert drainer_waits.wait(60)
            return swap(table, new)

        monkeypatch.setattr(partitions, "_swap", swap_once_the_drainer_waits)
        acknowledge = click_drain._acknowledge

        def die_before_acknowledging(*args):
            raise redis.ConnectionError("the drainer was killed after its insert")

        monkeypatch.setattr(click_drain, "_acknowledge", die_before_acknowledging)
        migrated, drained = [], []
        migration = in_thread(lambda: MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes()),
                              migrated)
        assert locked.wait(60)
        drainer = in_thread(lambda: click_drain.drain_clicks(consumer="drainer-a", reclaim=False), drained)
        deadline = time.monotonic() + 60
        while rows(WAITING_INSERT) != [(1,)]:
            assert time.monotonic() < deadline, f"the drainer's insert never waited for the migration's lock: {drained}"
            time.sleep(0.05)
        drainer_waits.set()
        migration.join(120)
        drainer.join(120)
        monkeypatch.setattr(click_drain, "_acknowledge", acknowledge)
        written_by_the_blocked_insert = Click.objects.filter(visitor_hash__startswith="during-").count()
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    retried = click_drain.drain_all_clicks(reclaim_idle_ms=0)  # the scheduled drain takes over drainer-a's entries
    ids = [click.click_id for click in clicks]

    assert [isinstance(outcome, Exception) for outcome in migrated] == [False], migrated
    assert [type(outcome).__name__ for outcome in drained] == ["ConnectionError"]
    assert (written_by_the_blocked_insert, retried) == (20, 20)  # retried: the batch, every click already in
    assert sorted(Click.objects.filter(pk__in=ids).values_list("pk", flat=True)) == sorted(ids)
    assert rows("SELECT count(*), count(DISTINCT id) FROM creators_click WHERE visitor_hash LIKE 'during-%%'") == [
        (20, 20)]
    assert click_drain.drain_all_clicks(reclaim_idle_ms=0) == 0


WATCHED = ("creators_pageview", "shop_addtocartevent")


def test_page_views_and_add_to_cart_events_blocked_behind_the_partition_migration_land_in_the_new_tables(
        wagtail_base_data, monkeypatch):
    """An app process still running the old code during the deploy records a page view and an add-to-cart
    event while the migration holds each old table locked: both inserts wait, then land in the partitioned
    tables, with ids of the new tables' sequences and nothing of the copied rows lost or duplicated."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_PARTITIONS)
    try:
        old_apps = executor.loader.project_state(BEFORE_PARTITIONS).apps
        world = build_historical_world(old_apps, when=DAY)
        writes = {
            "creators_pageview": lambda: old_apps.get_model("creators", "PageView").objects.create(
                event_id="during-migration", page_id=1, creator_id=world["creator"][0], viewed_at=DAY).pk,
            "shop_addtocartevent": lambda: old_apps.get_model("shop", "AddToCartEvent").objects.create(
                variant_id=1, product_id=1, brand_id=1, quantity=2, currency="USD", creator_id=world["creator"][0],
                created_at=DAY).pk,
        }
        locked = {table: threading.Event() for table in WATCHED}
        writer_waits = {table: threading.Event() for table in WATCHED}
        swap = partitions._swap

        def swap_once_the_writer_waits(table: str, new: str) -> int:
            if table in WATCHED:
                locked[table].set()
                assert writer_waits[table].wait(60)
            return swap(table, new)

        monkeypatch.setattr(partitions, "_swap", swap_once_the_writer_waits)
        migrated, written = [], {table: [] for table in WATCHED}
        migration = in_thread(lambda: MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes()),
                              migrated)
        writers = []
        for _ in WATCHED:  # in the order the migrations reach the tables
            deadline = time.monotonic() + 60
            while not (table := next((t for t in WATCHED if locked[t].is_set() and not writer_waits[t].is_set()),
                                     None)):
                assert time.monotonic() < deadline and not migrated, f"the migration never locked the table: {migrated}"
                time.sleep(0.05)
            writers.append(in_thread(writes[table], written[table]))
            waiting = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       f"AND query LIKE 'INSERT INTO \"{table}\" %%'")
            while rows(waiting) != [(1,)]:
                assert time.monotonic() < deadline, f"the insert into {table} never waited: {written[table]}"
                time.sleep(0.05)
            writer_waits[table].set()
        migration.join(120)
        for writer in writers:
            writer.join(120)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert [isinstance(outcome, Exception) for outcome in migrated] == [False], migrated
    assert [type(outcome).__name__ for table in WATCHED for outcome in written[table]] == ["int", "int"], written
    [view_id], [event_id] = written["creators_pageview"], written["shop_addtocartevent"]
    assert view_id not in world["creators_pageview"] and event_id not in world["shop_addtocartevent"]
    # in the partition of the rows copied from the same day (the tables are partitioned now)
    assert partition_of(PageView, view_id) == partition_of(PageView, world["creators_pageview"][0])
    assert partition_of(AddToCartEvent, event_id) == partition_of(AddToCartEvent, world["shop_addtocartevent"][0])
    assert PageView.objects.get(pk=view_id).event_id == "during-migration"
    assert AddToCartEvent.objects.get(pk=event_id).quantity == 2
    assert rows("SELECT count(*), count(DISTINCT id) FROM creators_pageview") == [(6, 6)]
    assert rows("SELECT count(*), count(DISTINCT id) FROM shop_addtocartevent") == [(4, 4)]
    assert {table: rows(f"SELECT count(*) FROM pg_partitioned_table WHERE partrelid = '{table}'::regclass")
            for table in WATCHED} == {table: [(1,)] for table in WATCHED}
