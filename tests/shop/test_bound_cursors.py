"""shop.services.bound_cursors: the buy flow's compiled statements bind their values on the server, nothing is
prepared (a migration changing a column's type mid-flight breaks no later buy), a connection keeps one cursor that
its statements use one after another (one run meanwhile gets its own; each thread's connection its own), buys
go on after a pooler's reset and on a new connection, and Django's query log shows the statements with their values.
A compiled insert prepares each row's values as Django's fields do."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from shop.models import Order, OrderLine, OrderStatus, Payment, StockReservation
from shop.services.bound_cursors import bound_cursor, numbered
from shop.services.checkout import confirm_payment
from shop.services.compiled_inserts import _prepared_rows, _same_param
from tests.shop.conftest import skip_unless_postgres
from tests.shop.helpers import cart_with, checkout, on_hand, variant_with_stock

pytestmark = pytest.mark.django_db


def _buy(sku: str, email: str) -> Order:
    return confirm_payment(checkout(cart_with((sku, 1)), email=email, fulfilment="pickup").order)


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [row[0] for row in cursor.fetchall()]


def test_the_buy_flows_statements_bind_on_the_server_on_the_connections_kept_cursor_and_none_is_prepared(
        shop_settings, monkeypatch):
    skip_unless_postgres()
    from django.db.backends.postgresql.base import ServerBindingCursor

    variant_with_stock("PREP-1", price="12.50", on_hand=20)
    cursors = []
    real_init = ServerBindingCursor.__init__

    def counted_init(self, *args, **kwargs):
        cursors.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(ServerBindingCursor, "__init__", counted_init)

    orders = [_buy("PREP-1", f"buyer{number}@example.com") for number in range(7)]

    assert [order.status for order in orders] == [OrderStatus.PAID] * 7
    assert on_hand("PREP-1") == 13
    # The connection's kept cursor (made at most once here): no cursor per statement, and none left open besides it.
    assert len(cursors) <= 1 and all(not cursor.closed for cursor in cursors)
    assert _prepared_statements() == []


def test_a_statement_run_while_the_kept_cursor_is_in_use_gets_a_cursor_of_its_own(shop_settings):
    skip_unless_postgres()
    with bound_cursor(connection) as outer:
        outer.execute("SELECT %s", [1])
        with bound_cursor(connection) as inner:  # before the outer statement's rows are read
            inner.execute("SELECT %s", [2])
            assert inner.fetchall() == [(2,)]
        assert outer.fetchall() == [(1,)]
    assert inner.cursor.closed and not outer.cursor.closed and inner.cursor is not outer.cursor

    with pytest.raises(ZeroDivisionError), bound_cursor(connection) as failing:
        failing.execute("SELECT %s", [3])
        1 / 0
    with bound_cursor(connection) as again:  # a failure inside left the kept cursor free
        again.execute("SELECT %s", [4])
        assert again.fetchall() == [(4,)]
    assert failing.cursor is outer.cursor and again.cursor is outer.cursor


@pytest.mark.django_db(transaction=True)
def test_each_threads_connection_keeps_a_cursor_of_its_own(shop_settings):
    skip_unless_postgres()
    with bound_cursor(connection) as ours:
        ours.execute("SELECT %s", ["main"])
        assert ours.fetchall() == [("main",)]
    seen = {}
    started = threading.Barrier(2)

    def use(name: str) -> None:
        try:
            started.wait(timeout=10)
            for _ in range(20):
                with bound_cursor(connection) as cursor:  # the proxy: this thread's own connection
                    cursor.execute("SELECT %s", [name])
                    seen.setdefault(name, []).append((cursor.cursor, tuple(cursor.fetchall())))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=use, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for name in ("a", "b"):  # one kept cursor each, every read its own value
        assert all(cursor is seen[name][0][0] and rows == ((name,),) for cursor, rows in seen[name])
    assert seen["a"][0][0] is not seen["b"][0][0] and ours.cursor not in (seen["a"][0][0], seen["b"][0][0])


def _length(table: str, column: str) -> int:
    from django.apps import apps

    model = next(model for model in apps.get_models() if model._meta.db_table == table)
    return model._meta.get_field(column).max_length


def _alter_lengths(lengths: dict[tuple[str, str], int]) -> None:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            for (table, column), length in lengths.items():
                cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar({length})')
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_migration_changing_a_columns_type_mid_flight_breaks_no_later_buy(shop_settings):
    skip_unless_postgres()
    variant_with_stock("PREP-2", price="12.50", on_hand=20)
    for number in range(6):
        _buy("PREP-2", f"before{number}@example.com")

    widened = {("shop_product", "title"): 300, ("shop_order", "email"): 300}
    _alter_lengths(widened)  # a deploy's `migrate`, on its own connection
    try:
        after = [_buy("PREP-2", f"after{number}@example.com") for number in range(3)]
    finally:
        _alter_lengths({(table, column): _length(table, column) for table, column in widened})

    assert [order.status for order in after] == [OrderStatus.PAID] * 3
    assert on_hand("PREP-2") == 11


@pytest.mark.parametrize("between", ["a pooler's reset", "a new connection"])
@pytest.mark.django_db(transaction=True)
def test_buys_go_on_after_a_poolers_reset_and_on_a_new_connection(shop_settings, between):
    skip_unless_postgres()
    variant_with_stock("PREP-3", price="12.50", on_hand=20)
    for number in range(3):
        _buy("PREP-3", f"before{number}@example.com")
    first = connection.connection

    if between == "a new connection":
        connection.close()  # a pool hands out another connection; Django opens a new one
    else:
        with connection.cursor() as cursor:  # as a pool's or a pooler's reset does, outside a transaction
            cursor.execute("DISCARD ALL")
    after = [_buy("PREP-3", f"after{number}@example.com") for number in range(3)]

    assert (connection.connection is not first) == (between == "a new connection")
    assert [order.status for order in after] == [OrderStatus.PAID] * 3
    assert on_hand("PREP-3") == 14
    assert len(StockReservation.objects.filter(variant__sku="PREP-3")) == 0


def test_a_bound_statement_is_logged_with_its_values(shop_settings):
    variant_with_stock("LOG-1", price="12.50", on_hand=3)
    cart = cart_with(("LOG-1", 1))

    with CaptureQueriesContext(connection) as captured:
        placed = checkout(cart, email="ada@example.com", fulfilment="pickup")

    # the order's insert is one part of the checkout's final write batch (a WITH ... INSERT statement)
    order_insert = next(query["sql"] for query in captured.captured_queries
                        if 'INSERT INTO "shop_order" (' in query["sql"])
    assert placed.order.number in order_insert and "$1" not in order_insert


def test_a_compiled_inserts_values_are_prepared_as_djangos_fields_prepare_them(shop_settings):
    variant_with_stock("ROW-1", price="12.50", on_hand=3)
    placed = checkout(cart_with(("ROW-1", 2)), email="ada@example.com", fulfilment="pickup")
    rows = [placed.order, *OrderLine.objects.filter(order=placed.order), *Payment.objects.filter(order=placed.order)]

    for obj in rows:
        fields = [field for field in obj._meta.concrete_fields if not field.primary_key]
        [ours] = _prepared_rows(fields, [obj], connection, pre_save=False)
        djangos = [field.get_db_prep_save(getattr(obj, field.attname), connection=connection) for field in fields]
        assert all(_same_param(a, b) for a, b in zip(ours, djangos, strict=True)), type(obj).__name__


def test_a_connection_shared_with_another_thread_runs_its_statements_in_its_own_session():
    """A wrapper handed to another thread (``inc_thread_sharing``) is used as given, not swapped for that thread's
    connection: its statements see its session (here a temporary table only it has)."""
    skip_unless_postgres()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE kolshop_shared_probe (id int)")
    shared = connections["default"]
    shared.inc_thread_sharing()
    found = {}

    def run() -> None:
        try:
            with bound_cursor(shared) as cursor:
                cursor.execute("SELECT count(*) FROM kolshop_shared_probe WHERE id > %s", [0])
                found["rows"] = cursor.fetchall()
        except Exception as error:  # noqa: BLE001 - reported by the assertion
            found["error"] = repr(error)
        finally:
            connections["default"].close()  # the thread's own, if it made one

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    shared.dec_thread_sharing()
    assert found == {"rows": [(0,)]}


def psycopg_programming_error() -> type:
    psycopg = pytest.importorskip("psycopg")
    return psycopg.ProgrammingError


def test_placeholders_are_numbered_as_psycopg_numbers_them():
    assert numbered("SELECT %s, '100%%', %s WHERE a LIKE 'x%%'") == "SELECT $1, '100%', $2 WHERE a LIKE 'x%'"
    with pytest.raises(psycopg_programming_error()):
        numbered("SELECT %(name)s")


@pytest.mark.django_db
def test_a_long_statement_with_many_values_binds_each_value_in_its_place():
    """Over psycopg's 4 KiB and 50 parameters (what it converts again at every execute, and ``numbered`` once): the
    values come back in order, a literal ``%`` survives, and the log shows the values, not ``$n``."""
    skip_unless_postgres()
    values = [f"value {number} %s" for number in range(80)]
    sql = "SELECT " + ", ".join(["'100%%' || %s::text"] * len(values)) + " -- " + "x" * 4096
    numbered.cache_clear()
    with CaptureQueriesContext(connection) as captured, bound_cursor(connection) as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
        cursor.execute(sql, values[::-1])  # the same text again: converted once, bound anew
        again = cursor.fetchone()
    assert (numbered.cache_info().misses, numbered.cache_info().hits) == (1, 1)
    assert list(row) == [f"100%{value}" for value in values] and list(again) == [f"100%{value}" for value in values[::-1]]
    assert "value 79 %s" in captured.captured_queries[0]["sql"] and "$1" not in captured.captured_queries[0]["sql"]
