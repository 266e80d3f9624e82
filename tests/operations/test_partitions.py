"""Clicks, page views and add-to-cart events are partitioned by month on PostgreSQL (operations.partitions):
the tables as one ``migrate`` leaves them, where rows land, the job that makes next month's partitions, and
the migration over a database that already has rows."""

from datetime import datetime, timezone as dt_timezone

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from creators.models import Click, OrderLineAttribution, PageView
from operations.partitions import (
    RESERVATION_MARGIN, make_month_partitions, month_partitions, month_start, partition_name,
)
from shop.models import AddToCartEvent
from tests.creators.report_fixtures import DAY, add_clicks, add_views, build_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

UTC = dt_timezone.utc
TABLES = {"creators_click": "clicked_at", "creators_pageview": "viewed_at", "shop_addtocartevent": "created_at"}


def rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def partition_of(model, pk: int) -> str:
    [(name,)] = rows(f"SELECT tableoid::regclass::text FROM {model._meta.db_table} WHERE id = %s", [pk])
    return name


def partitions(table: str) -> list[str]:
    return [name for (name,) in rows("SELECT inhrelid::regclass::text FROM pg_inherits "
                                     "WHERE inhparent = %s::regclass ORDER BY 1", [table])]


def test_migrate_leaves_the_event_tables_partitioned_by_month_with_this_and_next_month_and_a_default():
    this_month = month_start(timezone.now())
    partitioned = dict(rows("SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p "
                            "JOIN pg_class c ON c.oid = p.partrelid"))

    assert partitioned == {table: f"RANGE ({column})" for table, column in TABLES.items()}
    for table in TABLES:
        assert set(partitions(table)) >= {partition_name(table, this_month),
                                          partition_name(table, month_start(this_month, months=1)), f"{table}_default"}
        assert rows("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                    [f"{table}_pkey"]) == [(f"PRIMARY KEY (id, {TABLES[table]})",)]


def test_rows_land_in_their_months_partition_and_the_default_takes_months_without_one():
    world = build_world()  # 20 November 2026
    far = datetime(2031, 5, 2, tzinfo=UTC)
    [late_view] = [PageView.objects.create(event_id="far", page_id=world.guide_id, viewed_at=far)]
    click = Click.objects.filter(link__code="acme-blk").first()
    event = AddToCartEvent.objects.first()

    assert partition_of(Click, click.pk) == "creators_click_p2026_11"
    assert partition_of(AddToCartEvent, event.pk) == "shop_addtocartevent_p2026_11"
    assert partition_of(PageView, late_view.pk) == "creators_pageview_default"
    assert PageView.objects.get(pk=late_view.pk).viewed_at == far  # the ORM reads every partition by id


def test_an_order_is_still_attributed_to_the_click_it_came_through():
    world = build_world()

    attributions = OrderLineAttribution.objects.filter(order_id__in=[order.pk for order in world.orders])
    by_link = sorted(attributions.values_list("click__link__code", flat=True))

    assert by_link == ["acme-blk"] * 6 + ["glbx-blk"]
    assert all(partition_of(Click, a.click_id) == "creators_click_p2026_11" for a in attributions)


def test_the_job_makes_next_months_partitions_once_and_moves_rows_already_in_the_default():
    world = build_world()
    january = datetime(2027, 1, 15, tzinfo=UTC)
    early = add_clicks(Click.objects.filter(link__code="acme-blk").first().link, 2, when=january)
    add_views(world.guide_id, world.creator.pk, 3, when=january)
    assert partition_of(Click, early[0].pk) == "creators_click_default"

    created = make_month_partitions(now=datetime(2027, 1, 3, tzinfo=UTC))
    again = make_month_partitions(now=datetime(2027, 1, 3, tzinfo=UTC))

    assert sorted(created) == sorted(partition_name(table, datetime(2027, month, 1, tzinfo=UTC))
                                     for table in TABLES for month in (1, 2))
    assert again == []
    assert [partition_of(Click, click.pk) for click in early] == ["creators_click_p2027_01"] * 2
    assert rows("SELECT count(*) FROM creators_pageview_p2027_01") == [(3,)]
    assert rows("SELECT count(*) FROM creators_click_default") == [(0,)]
    assert Click.objects.filter(clicked_at__gte=january).count() == 2


def test_a_click_written_twice_by_the_drainer_is_stored_once():
    from creators.services.click_drain import _write_batch

    world = build_world()
    link = Click.objects.filter(link__code="acme-blk").first().link
    payload = {"id": 900001, "link_id": link.pk, "creator_id": world.creator.pk, "page_id": world.guide_id,
               "block_id": "blk-a", "product_id": world.acme_product.pk, "clicked_at": DAY.isoformat(),
               "visitor_hash": "v" * 64, "referrer": "", "ua_class": "desktop"}

    _write_batch([payload])
    _write_batch([payload])  # a batch sent again after its drainer died

    assert Click.objects.filter(pk=900001).count() == 1
    assert partition_of(Click, 900001) == "creators_click_p2026_11"


BEFORE_PARTITIONS = [("creators", "0011_followups"), ("shop", "0021_supplyops")]


def build_historical_world(state_apps, *, when: datetime) -> dict[str, list[int]]:
    """Rows written through the models as they were before the partition migrations (``state_apps``), so
    migrations added after those still leave this test able to write its rows: a creator's link with 8 clicks
    (3 of them on a buyer's order lines, one in August), 5 page views and 3 add-to-cart events."""
    user = state_apps.get_model("auth", "User").objects.create(username="mia")
    root_page = state_apps.get_model("wagtailcore", "Page").objects.order_by("pk").values_list("pk", flat=True)[0]
    creator = state_apps.get_model("creators", "CreatorProfile").objects.create(
        user_id=user.pk, display_name="Mia", handle="mia")
    link = state_apps.get_model("creators", "TrackedLink").objects.create(code="mia-link", creator_id=creator.pk,
                                                                            target_kind="page", page_id=root_page)
    Click = state_apps.get_model("creators", "Click")
    clicks = [Click.objects.create(link_id=link.pk, creator_id=creator.pk, visitor_hash=f"v{number}", ua_class="desktop",
                                   clicked_at=datetime(2026, 8, 3, tzinfo=UTC) if number == 0 else when)
              for number in range(8)]
    views = state_apps.get_model("creators", "PageView").objects.bulk_create(
        state_apps.get_model("creators", "PageView")(event_id=f"view-{number}", page_id=1, creator_id=creator.pk,
                                                     viewed_at=when) for number in range(5))
    AddToCartEvent = state_apps.get_model("shop", "AddToCartEvent")
    carts = [AddToCartEvent.objects.create(variant_id=1, product_id=1, brand_id=1, quantity=1, currency="USD",
                                           creator_id=creator.pk, created_at=when) for _ in range(3)]
    for number, click in enumerate(clicks[:3]):
        state_apps.get_model("creators", "OrderLineAttribution").objects.create(
            order_id=number + 1, order_line_id=number + 1, creator_id=creator.pk, click_id=click.pk, source="click",
            window_days=30, decided_at=when)
    return {"creators_click": [click.pk for click in clicks], "creators_pageview": [view.pk for view in views],
            "shop_addtocartevent": [cart.pk for cart in carts], "referenced": [click.pk for click in clicks[:3]],
            "creator": [creator.pk], "link": [link.pk]}


def test_the_migration_over_a_database_with_rows_keeps_every_row_id_and_reference():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_PARTITIONS)
    assert rows("SELECT count(*) FROM pg_partitioned_table") == [(0,)]
    executor.loader.build_graph()
    world = build_historical_world(executor.loader.project_state(BEFORE_PARTITIONS).apps, when=DAY)
    before = {model: world[model._meta.db_table] for model in (Click, PageView, AddToCartEvent)}

    # a drainer reserved ids whose rows are still queued: the upgrade must never give them out again
    [(reserved,)] = rows("SELECT nextval(pg_get_serial_sequence('creators_click', 'id')) FROM generate_series(1, 5) "
                         "ORDER BY 1 DESC LIMIT 1")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as if those rows were committed before the upgrade
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert {model: sorted(model.objects.values_list("pk", flat=True)) for model in before} == before
    assert partition_of(Click, before[Click][0]) == "creators_click_p2026_08"
    assert {partition_of(Click, pk) for pk in before[Click][1:]} == {"creators_click_p2026_11"}
    assert [p.name for p in month_partitions("creators_click")][:4] == [
        "creators_click_p2026_08", "creators_click_p2026_09", "creators_click_p2026_10", "creators_click_p2026_11"]
    assert sorted(OrderLineAttribution.objects.exclude(click=None).values_list("click__pk", flat=True)) == \
        world["referenced"]
    newest_view = PageView.objects.create(event_id="after", page_id=1, viewed_at=DAY)
    newest_click = Click.objects.create(link_id=world["link"][0], creator_id=world["creator"][0], clicked_at=DAY,
                                        visitor_hash="new", ua_class="desktop")
    assert newest_view.pk > max(before[PageView])
    # the id sequence carries on above the ids handed out, leaving room for blocks reserved during the copy
    assert newest_click.pk == reserved + RESERVATION_MARGIN + 1
