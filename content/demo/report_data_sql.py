"""``generate_report_data`` on PostgreSQL: every fact table filled by ``INSERT … SELECT generate_series``.

The same shape as ``report_data.generate`` (views, clicks on the creators' links, add-to-carts, paid
orders with one line each, 70 % attributed with a 10 % accrual, 3 % refunded in full two days
later), written by the database itself: a million clicks take seconds, not the minutes that building
a million model instances in Python takes. Randomness comes from ``setseed`` so a run repeats.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.utils import timezone

from creators.models import Click, LedgerEntry, OrderLineAttribution, PageView
from shop.models import AddToCartEvent, Order, OrderLine, Payment, Refund, RefundLine


def _insert_select(model: type[models.Model], values: dict[str, str], source: str, params: list) -> int:
    """``INSERT INTO <model> (…) SELECT <values> <source>``; columns left out get the field's default
    (NULL when nullable, now() for auto timestamps)."""
    columns, expressions, defaults = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in values:
            expressions.append(values[field.column])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expressions.append("now()")
        elif field.null and not field.has_default():
            expressions.append("NULL")
        else:
            expressions.append("%s")
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
    if any("%s" in expression for expression in values.values()):
        raise ValueError("values are SQL literals or columns; parameters belong to the source")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} {source}"
    with connection.cursor() as cursor:
        # The defaults' parameters come first (the select list), then the source's.
        cursor.execute(sql, [*defaults, *params])
        return cursor.rowcount


@transaction.atomic  # the temporary tables live until the commit
def generate_in_sql(*, links: list[tuple], pages: list[tuple[int, int]], clicks: int, orders: int, views: int,
                    carts: int, days: int, seed: int, progress: Callable[[str, int], None]) -> None:
    """``links``: (link id, creator id, page id, block id, product id, variant id, sku, title, brand id,
    price, currency); ``pages``: (page id, creator id)."""
    now = timezone.now()
    start = now - timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute("CREATE TEMP TABLE gen_link (n int, link_id bigint, creator_id bigint, page_id bigint, "
                       "block_id text, product_id bigint, variant_id bigint, sku text, title text, brand_id bigint, "
                       "price numeric, currency text) ON COMMIT DROP")
        cursor.executemany("INSERT INTO gen_link VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                           [(n, *link) for n, link in enumerate(links)])
        cursor.execute("CREATE TEMP TABLE gen_page (n int, page_id bigint, creator_id bigint) ON COMMIT DROP")
        cursor.executemany("INSERT INTO gen_page VALUES (%s, %s, %s)", [(n, *page) for n, page in enumerate(pages)])
    moment = f"(%s::timestamptz + random() * interval '{days} days')"
    link_of = f"JOIN gen_link l ON l.n = mod(g.i::bigint * 7919, {len(links)})"

    _insert_select(PageView, {
        "event_id": "md5('view' || g.i)", "page_id": "p.page_id", "creator_id": "p.creator_id",
        "viewed_at": moment.replace("%s", "gen_start.at"), "visitor_hash": "md5('visitor' || mod(g.i, 50000))",
    }, f"FROM generate_series(1, %s) g(i) JOIN gen_page p ON p.n = mod(g.i, {len(pages)}) "
       "CROSS JOIN (SELECT %s::timestamptz AS at) gen_start", [views, start])
    progress("page views", views)
    _insert_select(Click, {
        "link_id": "l.link_id", "creator_id": "l.creator_id", "page_id": "l.page_id", "block_id": "l.block_id",
        "product_id": "l.product_id", "clicked_at": moment.replace("%s", "gen_start.at"),
        "visitor_hash": "md5('a' || g.i) || md5('b' || g.i)", "ua_class": "'mobile'",
    }, f"FROM generate_series(1, %s) g(i) {link_of} CROSS JOIN (SELECT %s::timestamptz AS at) gen_start",
        [clicks, start])
    progress("clicks", clicks)
    _insert_select(AddToCartEvent, {
        "variant_id": "l.variant_id", "product_id": "l.product_id", "brand_id": "l.brand_id", "quantity": "1",
        "currency": "l.currency", "creator_id": "l.creator_id", "page_id": "l.page_id", "block_id": "l.block_id",
        "created_at": moment.replace("%s", "gen_start.at"),
    }, f"FROM generate_series(1, %s) g(i) {link_of} CROSS JOIN (SELECT %s::timestamptz AS at) gen_start",
        [carts, start])
    progress("add-to-carts", carts)
    _write_orders(orders, link_of=link_of, start=start, now=now, moment=moment)
    progress("orders", orders)


def _write_orders(count: int, *, link_of: str, start: datetime, now: datetime, moment: str) -> None:
    prefix = f"'GEN{int(now.timestamp())}-'"  # order numbers are unique: each run its own
    # One row per order in a temp table first: its link, quantity, paid time and fate.
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE gen_order ON COMMIT DROP AS SELECT g.i, l.*, "
            f"CASE WHEN mod(g.i, 4) = 0 THEN 2 ELSE 1 END AS quantity, {moment} AS paid_at, "
            f"random() < 0.7 AS attributed, random() < 0.03 AS refunded "
            f"FROM generate_series(1, %s) g(i) {link_of}", [start, count])
    _insert_select(Order, {
        "number": f"{prefix} || o.i", "secret": "md5('secret' || o.i || random())", "status": "'paid'",
        "currency": "o.currency", "subtotal": "o.price * o.quantity", "total": "o.price * o.quantity",
        "email": "'buyer' || mod(o.i, 40000) || '@example.com'", "fulfilment_method": "'shipping'",
        "shipping_country": "'US'", "paid_at": "o.paid_at", "created_at": "o.paid_at", "updated_at": "o.paid_at",
    }, "FROM gen_order o", [])
    attributed = ("CASE WHEN o.attributed THEN {} ELSE {} END")
    _insert_select(OrderLine, {
        "order_id": "s.id", "variant_id": "o.variant_id", "sku": "o.sku", "product_title": "o.title",
        "brand_id": "o.brand_id", "unit_price": "o.price", "currency": "o.currency", "quantity": "o.quantity",
        "line_total": "o.price * o.quantity", "creator_id": attributed.format("o.creator_id", "NULL"),
        "page_id": attributed.format("o.page_id", "NULL"), "block_id": attributed.format("o.block_id", "''"),
        "attributed_at": attributed.format("o.paid_at", "NULL"),
    }, f"FROM gen_order o JOIN shop_order s ON s.number = {prefix} || o.i", [])
    facts = (f"FROM gen_order o JOIN shop_order s ON s.number = {prefix} || o.i "
             "JOIN shop_orderline ol ON ol.order_id = s.id")
    _insert_select(OrderLineAttribution, {
        "order_id": "s.id", "order_line_id": "ol.id", "creator_id": "o.creator_id", "page_id": "o.page_id",
        "block_id": "o.block_id", "source": "'link'", "earns_commission": "true", "reason": "''",
        "attributed_at": "o.paid_at", "window_days": "30", "decided_at": "o.paid_at",
    }, f"{facts} WHERE o.attributed", [])
    _insert_select(LedgerEntry, {
        "creator_id": "o.creator_id", "kind": "'accrual'", "amount": "round(ol.line_total * 0.10, 2)",
        "currency": "o.currency", "order_id": "s.id", "order_line_id": "ol.id", "page_id": "o.page_id",
        "block_id": "o.block_id", "source_ref": "'paid'", "rate": "0.1000", "base_amount": "ol.line_total",
        "effective_at": "o.paid_at",
    }, f"{facts} WHERE o.attributed", [])
    _insert_select(Payment, {
        "order_id": "s.id", "gateway": "'dummy'", "intent_id": "'pi_gen_' || s.id", "amount": "s.total",
        "currency": "s.currency", "status": "'succeeded'",
    }, f"{facts} WHERE o.refunded", [])
    _insert_select(Refund, {
        "payment_id": "p.id", "order_id": "s.id", "amount": "s.total", "currency": "s.currency",
        "status": "'succeeded'", "created_at": "LEAST(o.paid_at + interval '2 days', now())",
    }, f"{facts} JOIN shop_payment p ON p.order_id = s.id WHERE o.refunded", [])
    _insert_select(RefundLine, {
        "refund_id": "r.id", "order_line_id": "ol.id", "quantity": "ol.quantity", "amount": "r.amount",
    }, f"{facts} JOIN shop_refund r ON r.order_id = s.id WHERE o.refunded", [])
    with connection.cursor() as cursor:
        for table in ("shop_order", "shop_orderline", "creators_click", "creators_pageview", "shop_addtocartevent",
                      "creators_orderlineattribution", "creators_ledgerentry"):
            cursor.execute(f"ANALYZE {table}")
