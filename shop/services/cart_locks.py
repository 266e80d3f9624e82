"""The statements that find and lock a cart's row (issue 14: one statement each, built once per database).

``lock_cart`` locks it (``SELECT … FOR UPDATE``); ``lock_cart_for_checkout`` locks it by counting a checkout and
``stamp_open_cart`` by stamping an open cart's ``updated_at``, each an ``UPDATE … RETURNING`` that also reads the
row (Django's ``update()`` returns only a count); on PostgreSQL the checkout's statement also takes the key of the order
it places (set on the locked cart as its ``order_key`` attribute, not a field). Their SQL names only columns and the number of named locks taken
after the row, so it is built once per process for each database and shape (``built_statements``).
"""

from datetime import datetime

from django.db import connection

from shop.errors import NotFound
from shop.models import Cart, Order
from shop.services.bound_cursors import bound_cursor
from shop.services.built_statements import Quote, built_once
from shop.services.compiled_inserts import converted
from shop.services.keyed_inserts import next_key_sql
from shop.services.locks import lock_expressions


def lock_cart(cart: Cart | str) -> Cart:
    """The cart's row, locked until commit. ``cart`` may be the API's token: the cart is then found and locked in
    one statement (an unknown token is 404 ``cart_not_found``)."""
    locked = Cart.objects.select_for_update()
    locked = locked.filter(token=cart).first() if isinstance(cart, str) else locked.filter(pk=cart.pk).first()
    if locked is None:
        raise NotFound("No cart with this token.", code="cart_not_found")
    return locked


def stamp_open_cart(token: str, *, now: datetime) -> Cart | None:
    """``UPDATE … RETURNING`` (PostgreSQL, and SQLite since 3.35): the open cart with this token, stamped and so
    locked, read in the same statement."""
    return _returned_cart(built_once(connection, ("stamp open cart",), _stamp_sql), [now, token])[0]


def lock_cart_for_checkout(cart: Cart | str, *, then_lock: list[str] = ()) -> Cart:
    """``lock_cart`` for a checkout, counting it (``Cart.checkouts_started``) in the same ``UPDATE … RETURNING``:
    the count is read from the locked row as the last checkout left it. It is at least the cart's orders before
    this checkout, plus one, so a checkout by an earlier release (which placed an order without counting) counts.
    ``then_lock``: named locks (``shop.services.locks``) taken in the same statement, after the cart's row (none
    when no cart is found). On PostgreSQL the statement also takes the key of the order the checkout places, from the
    order's sequence (``keyed_inserts.NextKey``): the cart's ``order_key`` (None elsewhere: the insert takes it)."""
    key, value = ("token", cart) if isinstance(cart, str) else ("id", cart.pk)
    locks = lock_expressions(list(then_lock))
    sql = built_once(connection, ("lock cart for checkout", key, locks[0] if locks else ""),
                     lambda quote, vendor: _checkout_sql(quote, vendor, key=key, locks=locks[0] if locks else ""))
    locked, row = _returned_cart(sql, [value, *(locks[1] if locks else [])]) if value else (None, None)
    if locked is None:
        raise NotFound("No cart with this token.", code="cart_not_found")
    locked.order_key = row[-1] if connection.vendor == "postgresql" else None
    return locked


def _columns(quote: Quote) -> dict[str, str]:
    return {field.name: quote(field.column) for field in Cart._meta.concrete_fields}


def _stamp_sql(quote: Quote, vendor: str) -> str:
    columns = _columns(quote)
    return (f"UPDATE {quote(Cart._meta.db_table)} SET {columns['updated_at']} = %s "
            f"WHERE {columns['token']} = %s AND {columns['checked_out_at']} IS NULL "
            f"RETURNING {', '.join(columns.values())}")


def _checkout_sql(quote: Quote, vendor: str, *, key: str, locks: str) -> str:
    columns = _columns(quote)
    count, table = columns["checkouts_started"], quote(Cart._meta.db_table)
    order_cart = quote(Order._meta.get_field("cart").column)
    orders = f"(SELECT COUNT(*) FROM {quote(Order._meta.db_table)} WHERE {order_cart} = {table}.{columns['id']})"
    greatest = "MAX" if vendor == "sqlite" else "GREATEST"  # the larger of two values
    order_key = [next_key_sql(Order, quote)] if vendor == "postgresql" else []
    return (f"UPDATE {table} SET {count} = {greatest}({count}, {orders}) + 1 WHERE {columns[key]} = %s "
            f"RETURNING {', '.join([*columns.values(), *([locks] if locks else []), *order_key])}")


def _returned_cart(sql: str, params: list) -> tuple[Cart | None, tuple | None]:
    """The cart an ``UPDATE … RETURNING`` of its concrete columns (in field order, maybe followed by others) answers,
    read as ``Cart.objects.raw`` reads it, and the row; or None, None."""
    with bound_cursor(connection) as cursor:  # parameters adapted as ``raw()`` adapts them (SQLite: naive UTC text)
        cursor.execute(sql, [connection.ops.adapt_unknown_value(param) for param in params])
        row = cursor.fetchone()
    if row is None:
        return None, None
    fields = Cart._meta.concrete_fields
    return Cart.from_db(connection.alias, [field.attname for field in fields], converted(row, fields, connection)), row
