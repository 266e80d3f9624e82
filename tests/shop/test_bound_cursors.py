"""shop.services.bound_cursors: the buy flow's compiled statements bind their values on the server and PostgreSQL
prepares them once they repeat on a connection; they keep working when PostgreSQL forgets its prepared statements
(``DEALLOCATE ALL``, ``DISCARD ALL`` as a pooler's reset sends it) and on a new connection, and Django's query log
shows them with their values. A compiled insert prepares each row's values as Django's fields do."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from settings import env
from shop.models import Order, OrderLine, OrderStatus, Payment, StockReservation
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


def test_the_buy_flows_statements_are_prepared_once_they_repeat_and_every_buy_still_counts(shop_settings):
    skip_unless_postgres()
    variant_with_stock("PREP-1", price="12.50", on_hand=20)

    orders = [_buy("PREP-1", f"buyer{number}@example.com") for number in range(7)]

    assert [order.status for order in orders] == [OrderStatus.PAID] * 7
    assert on_hand("PREP-1") == 13
    prepared = _prepared_statements()
    # the stock rows' lock, the order's insert and the payment's lock, each parsed once for all seven buys
    assert sum('FROM "shop_stock"' in statement and "FOR UPDATE" in statement for statement in prepared) == 1
    assert sum(statement.startswith('INSERT INTO "shop_order" (') for statement in prepared) == 1
    assert sum('FROM "shop_payment"' in statement and "FOR UPDATE OF" in statement for statement in prepared) == 1
    assert all("$1" in statement for statement in prepared)


@pytest.mark.parametrize("forget", ["DEALLOCATE ALL", "DISCARD ALL"])
@pytest.mark.django_db(transaction=True)
def test_buys_go_on_after_postgresql_forgets_the_prepared_statements(shop_settings, forget):
    skip_unless_postgres()
    variant_with_stock("PREP-2", price="12.50", on_hand=20)
    for number in range(6):
        _buy("PREP-2", f"before{number}@example.com")
    assert _prepared_statements()

    with connection.cursor() as cursor:  # as a pool's or a pooler's reset does, outside a transaction
        cursor.execute(forget)
    assert _prepared_statements() == []
    after = [_buy("PREP-2", f"after{number}@example.com") for number in range(6)]

    assert [order.status for order in after] == [OrderStatus.PAID] * 6
    assert on_hand("PREP-2") == 8
    assert _prepared_statements()  # prepared again on the same connection


@pytest.mark.django_db(transaction=True)
def test_buys_go_on_on_a_new_connection(shop_settings):
    skip_unless_postgres()
    variant_with_stock("PREP-3", price="12.50", on_hand=20)
    for number in range(6):
        _buy("PREP-3", f"before{number}@example.com")
    first = connection.connection

    connection.close()  # a pool hands out another connection; Django opens a new one
    after = [_buy("PREP-3", f"after{number}@example.com") for number in range(6)]

    assert connection.connection is not first
    assert [order.status for order in after] == [OrderStatus.PAID] * 6
    assert on_hand("PREP-3") == 8
    assert len(StockReservation.objects.filter(variant__sku="PREP-3")) == 0


def test_a_bound_statement_is_logged_with_its_values(shop_settings):
    variant_with_stock("LOG-1", price="12.50", on_hand=3)
    cart = cart_with(("LOG-1", 1))

    with CaptureQueriesContext(connection) as captured:
        placed = checkout(cart, email="ada@example.com", fulfilment="pickup")

    order_insert = next(query["sql"] for query in captured.captured_queries
                        if query["sql"].startswith('INSERT INTO "shop_order" ('))
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


def test_statements_are_prepared_unless_a_pooler_may_lose_them():
    databases = {"default": {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}},
                 "local": {"ENGINE": "django.db.backends.sqlite3"}}
    env.prepare_statements(databases)
    assert databases["default"]["OPTIONS"]["prepare_threshold"] == env.PREPARE_THRESHOLD
    assert "OPTIONS" not in databases["local"]

    env.prepare_statements(databases, enabled=False)  # production behind PgBouncer (DATABASE_POOL=0)
    assert databases["default"]["OPTIONS"]["prepare_threshold"] is None
