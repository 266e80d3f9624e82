"""PostgreSQL: the per-buyer limits (per variant, per deal) find a buyer's orders by index at 100k orders.

The limits look orders up by ``shop.services.buyer_identity.ordered_by`` (the stored ``buyer_key``; the per-variant
limit as a subquery of checkout's read of the cart lines, ``shop.services.cart_reads.units_bought``); the index ``order_buyer_key_status_idx`` on ``(buyer_key, status)`` serves it. The test
captures the exact statements a checkout runs and asks PostgreSQL how it would run them.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.models import Order, OrderLine, OrderStatus
from shop.services.cart import add_to_cart
from tests.factories import make_deal
from tests.shop.conftest import skip_unless_postgres
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ORDERS = 100_000


@pytest.fixture(autouse=True)
def _postgres_only(shop_settings):
    skip_unless_postgres()


def _copy_rows(model, template_pk: int, overrides: dict[str, str], *, join: str, where: str = "") -> None:
    """Insert one row per ``join`` row, copying the template row's columns except ``overrides`` (SQL)."""
    columns = [field.column for field in model._meta.concrete_fields if not field.primary_key]
    table = model._meta.db_table
    values = [overrides.get(column, f't."{column}"') for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) '
            f'SELECT {", ".join(values)} FROM {table} t {join} WHERE {where}t.id = %s',
            [template_pk],
        )


def _hundred_thousand_paid_orders_of(variant) -> None:
    """100k paid orders of other buyers, each with a line of ``variant`` (a popular deal: the worst case)."""
    template = checkout(cart_with((variant.sku, 1)), email="template@example.com", fulfilment="pickup").order
    Order.objects.filter(pk=template.pk).update(status=OrderStatus.PAID)
    _copy_rows(Order, template.pk, {
        "number": "'BULK-' || g", "secret": "md5(g::text)", "email": "'Buyer' || g || '@Example.com'",
        "buyer_key": "md5('buyer' || g::text) || md5(g::text)",
        "cart_id": "NULL", "pickup_code_hash": "md5('pickup' || g::text)",
    }, join=f"CROSS JOIN generate_series(1, {ORDERS}) g")
    template_line = OrderLine.objects.get(order=template)
    _copy_rows(OrderLine, template_line.pk, {"order_id": "o.id"},
               join="CROSS JOIN shop_order o", where="o.number LIKE 'BULK-%%' AND ")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE shop_order; ANALYZE shop_orderline")


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_per_buyer_limits_use_the_buyer_key_index_at_100k_orders():
    variant = variant_with_stock("HOT-1", price="124.99", on_hand=10)
    deal = make_deal(variant, price="99.00", per_buyer_limit=2)
    _hundred_thousand_paid_orders_of(variant)
    assert Order.objects.filter(status=OrderStatus.PAID).count() == ORDERS + 1
    cart = cart_with()
    add_to_cart(cart, sku="HOT-1", quantity=1, promotion_id=deal.pk)

    with CaptureQueriesContext(connection) as captured:
        placed = checkout(cart, email="  Ada@Example.com ", fulfilment="pickup")

    assert placed.order.status == OrderStatus.PENDING
    key = placed.order.buyer_key
    buyer_lookups = [query["sql"] for query in captured.captured_queries
                     if f'"buyer_key" = \'{key}\'' in query["sql"] and not query["sql"].startswith("INSERT")]
    # the per-variant limit (a subquery of the cart lines' read), the deal's per-buyer limit
    assert len(buyer_lookups) == 2
    assert buyer_lookups[0].startswith('SELECT "shop_cartline"."id"'), buyer_lookups[0]
    for sql in buyer_lookups:
        plan = _plan(sql)
        assert "Seq Scan on shop_order " not in plan, plan
        assert "order_buyer_key_status_idx" in plan, plan
