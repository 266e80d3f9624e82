"""``generate_report_data`` on PostgreSQL: every fact table filled by ``INSERT … SELECT generate_series``.

The same shape as ``report_data.generate`` (views, clicks on the creators' links, add-to-carts, paid
orders of one to three lines across brands, 70 % attributed with a 10 % accrual, 3 % refunded in full
two days later), into the month partitions production keeps, written by the database itself: a million clicks take seconds, not the minutes that building
a million model instances in Python takes. Randomness comes from ``setseed`` so a run repeats.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, connections, models, transaction
from django.utils import timezone

from creators.models import Click, LedgerEntry, OrderLineAttribution, PageView
from creators.services.ledger import PAID_REF
from operations.partitions import make_month_partitions, month_start
from shop.models import AddToCartEvent, Order, OrderLine, Payment, Refund, RefundLine
from shop.services.buyer_identity import buyer_key
from shop.services.supply_splits import REFUND_PREFIX

BUYERS_PER_ORDER = 0.4  # repeat buyers: 100,000 orders cycle through 40,000 addresses


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
    # The months' partitions the daily make_month_partitions job would have made over those days, so the
    # clicks, views and add-to-carts land in their months as in production (not all in DEFAULT).
    months = (now.year * 12 + now.month) - (start.year * 12 + start.month)
    make_month_partitions(now=month_start(start), months_ahead=months + 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute("CREATE TEMP TABLE gen_link (n int, link_id bigint, creator_id bigint, page_id bigint, "
                       "block_id text, product_id bigint, variant_id bigint, sku text, title text, brand_id bigint, "
                       "price numeric, currency text) ON COMMIT DROP")
        cursor.executemany("INSERT INTO gen_link VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                           [(n, *link) for n, link in enumerate(links)])
        cursor.execute("CREATE TEMP TABLE gen_page (n int, page_id bigint, creator_id bigint) ON COMMIT DROP")
        cursor.executemany("INSERT INTO gen_page VALUES (%s, %s, %s)", [(n, *page) for n, page in enumerate(pages)])
    def moment(count: int) -> str:
        """The g.i-th of ``count`` rows at a random moment of its own 1/count of the window: rows are written in
        time order, as production appends them (written in random order, today's 7,000 clicks would lie on
        4,000 heap pages of the month's partition instead of 200, and the live part would read them all)."""
        return f"(%s::timestamptz + (g.i - 1 + random()) / {int(count)} * interval '{days} days')"
    # ``ORDER BY g.i`` on every insert below: a hash join's output follows its build side, so without it the rows
    # came out in the links' order, not in time order (today's clicks on most of the month's pages).
    link_of = f"JOIN gen_link l ON l.n = mod(g.i::bigint * 7919, {len(links)})"

    _insert_select(PageView, {
        "event_id": "md5('view' || g.i)", "page_id": "p.page_id", "creator_id": "p.creator_id",
        "viewed_at": moment(views).replace("%s", "gen_start.at"), "visitor_hash": "md5('visitor' || mod(g.i, 50000))",
    }, f"FROM generate_series(1, %s) g(i) JOIN gen_page p ON p.n = mod(g.i, {len(pages)}) "
       "CROSS JOIN (SELECT %s::timestamptz AS at) gen_start ORDER BY g.i", [views, start])
    progress("page views", views)
    _insert_select(Click, {
        "link_id": "l.link_id", "creator_id": "l.creator_id", "page_id": "l.page_id", "block_id": "l.block_id",
        "product_id": "l.product_id", "clicked_at": moment(clicks).replace("%s", "gen_start.at"),
        "visitor_hash": "md5('a' || g.i) || md5('b' || g.i)", "ua_class": "'mobile'",
    }, f"FROM generate_series(1, %s) g(i) {link_of} CROSS JOIN (SELECT %s::timestamptz AS at) gen_start ORDER BY g.i",
        [clicks, start])
    progress("clicks", clicks)
    _insert_select(AddToCartEvent, {
        "variant_id": "l.variant_id", "product_id": "l.product_id", "brand_id": "l.brand_id", "quantity": "1",
        "currency": "l.currency", "creator_id": "l.creator_id", "page_id": "l.page_id", "block_id": "l.block_id",
        "created_at": moment(carts).replace("%s", "gen_start.at"),
    }, f"FROM generate_series(1, %s) g(i) {link_of} CROSS JOIN (SELECT %s::timestamptz AS at) gen_start ORDER BY g.i",
        [carts, start])
    progress("add-to-carts", carts)
    _write_orders(orders, link_count=len(links), start=start, now=now, moment=moment(orders))
    progress("orders", orders)


def _write_orders(count: int, *, link_count: int, start: datetime, now: datetime, moment: str) -> None:
    """Paid orders of 1–3 lines (half one line, 30 % two, 20 % three), each line a link's product, so an
    order often spans brands; 70 % attributed line by line to the links' creators with a 10 % accrual;
    3 % refunded in full two days later (refund lines, the order and its lines marked refunded, the
    commission reversed), as the checkout, the payment webhook and the refund service write them."""
    prefix = f"'GEN{int(now.timestamp())}-'"  # order numbers are unique: each run its own
    buyer_count = max(1, int(count * BUYERS_PER_ORDER))
    buyers = [f"buyer{number}@example.com" for number in range(buyer_count)]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE gen_buyer ON COMMIT DROP AS SELECT * FROM "
                       "unnest(%s::int[], %s::text[], %s::text[]) AS b(n, email, buyer_key)",
                       [list(range(buyer_count)), buyers, [buyer_key(email) for email in buyers]])
        # One row per order first (paid time, fate), then one per line (its link, quantity).
        cursor.execute(
            f"CREATE TEMP TABLE gen_order ON COMMIT DROP AS SELECT g.i, {moment} AS paid_at, "
            "CASE WHEN mod(g.i, 10) < 5 THEN 1 WHEN mod(g.i, 10) < 8 THEN 2 ELSE 3 END AS lines, "
            "random() < 0.7 AS attributed, random() < 0.03 AS refunded FROM generate_series(1, %s) g(i)",
            [start, count])
        cursor.execute(
            "CREATE TEMP TABLE gen_line ON COMMIT DROP AS SELECT o.i, k.k, o.paid_at, o.attributed, o.refunded, l.*, "
            "CASE WHEN mod(o.i + k.k, 4) = 0 THEN 2 ELSE 1 END AS quantity FROM gen_order o "
            "CROSS JOIN LATERAL generate_series(1, o.lines) k(k) "
            f"JOIN gen_link l ON l.n = mod(o.i::bigint * 7919 + k.k * 104729, {link_count})")
        cursor.execute("CREATE TEMP TABLE gen_total ON COMMIT DROP AS SELECT i, min(currency) AS currency, "
                       "sum(price * quantity) AS total FROM gen_line GROUP BY i")
        cursor.execute("ANALYZE gen_order; ANALYZE gen_line; ANALYZE gen_total; ANALYZE gen_buyer")
    refunded_status = "CASE WHEN o.refunded THEN 'refunded' ELSE 'paid' END"
    _insert_select(Order, {
        "number": f"{prefix} || o.i", "secret": "md5('secret' || o.i || random())", "status": refunded_status,
        "currency": "t.currency", "subtotal": "t.total", "total": "t.total",
        "amount_refunded": "CASE WHEN o.refunded THEN t.total ELSE 0 END",
        "email": "b.email", "buyer_key": "b.buyer_key", "fulfilment_method": "'shipping'",
        "shipping_country": "'US'", "paid_at": "o.paid_at", "created_at": "o.paid_at", "updated_at": "o.paid_at",
    }, f"FROM gen_order o JOIN gen_total t ON t.i = o.i JOIN gen_buyer b ON b.n = mod(o.i, {buyer_count}) "
       "ORDER BY o.i", [])
    attributed = "CASE WHEN o.attributed THEN {} ELSE {} END"
    _insert_select(OrderLine, {
        "order_id": "s.id", "variant_id": "o.variant_id", "sku": "o.sku", "product_title": "o.title",
        "brand_id": "o.brand_id", "unit_price": "o.price", "list_unit_price": "o.price", "currency": "o.currency",
        "quantity": "o.quantity", "line_total": "o.price * o.quantity",
        "refunded_quantity": "CASE WHEN o.refunded THEN o.quantity ELSE 0 END",
        "refunded_amount": "CASE WHEN o.refunded THEN o.price * o.quantity ELSE 0 END",
        "creator_id": attributed.format("o.creator_id", "NULL"),
        "page_id": attributed.format("o.page_id", "NULL"), "block_id": attributed.format("o.block_id", "''"),
        "attributed_at": attributed.format("o.paid_at", "NULL"),
    }, f"FROM gen_line o JOIN shop_order s ON s.number = {prefix} || o.i ORDER BY o.i, o.k", [])
    orders = f"FROM gen_order o JOIN shop_order s ON s.number = {prefix} || o.i"
    with connection.cursor() as cursor:
        # Each generated line with its order's and its own id (the k-th line of an order by id: inserted so).
        cursor.execute(
            "CREATE TEMP TABLE gen_placed ON COMMIT DROP AS SELECT o.*, s.id AS order_id, ol.id AS line_id, "
            f"ol.line_total FROM gen_line o JOIN shop_order s ON s.number = {prefix} || o.i "
            "JOIN LATERAL (SELECT id, line_total, row_number() OVER (ORDER BY id) AS k FROM shop_orderline "
            "WHERE order_id = s.id) ol ON ol.k = o.k")
        cursor.execute("ANALYZE gen_placed")
    lines = "FROM gen_placed o JOIN shop_order s ON s.id = o.order_id JOIN shop_orderline ol ON ol.id = o.line_id"
    _insert_select(OrderLineAttribution, {
        "order_id": "s.id", "order_line_id": "ol.id", "creator_id": "o.creator_id", "page_id": "o.page_id",
        "block_id": "o.block_id", "source": "'link'", "earns_commission": "true", "reason": "''",
        "attributed_at": "o.paid_at", "window_days": "30", "decided_at": "o.paid_at",
    }, f"{lines} WHERE o.attributed", [])
    _insert_select(LedgerEntry, {
        "creator_id": "o.creator_id", "kind": "'accrual'", "amount": "round(ol.line_total * 0.10, 2)",
        "currency": "o.currency", "order_id": "s.id", "order_line_id": "ol.id", "page_id": "o.page_id",
        "block_id": "o.block_id", "source_ref": f"'{PAID_REF}'", "rate": "0.1000", "base_amount": "ol.line_total",
        "effective_at": "o.paid_at",
    }, f"{lines} WHERE o.attributed", [])
    _insert_select(Payment, {
        "order_id": "s.id", "gateway": "'dummy'", "intent_id": "'pi_gen_' || s.id", "amount": "s.total",
        "currency": "s.currency", "status": "'succeeded'", "amount_refunded": "s.amount_refunded",
        "created_at": "o.paid_at", "updated_at": "o.paid_at",
    }, orders, [])
    _insert_select(Refund, {
        "payment_id": "p.id", "order_id": "s.id", "amount": "s.total", "currency": "s.currency",
        "status": "'succeeded'", "created_at": "LEAST(o.paid_at + interval '2 days', now())",
    }, f"{orders} JOIN shop_payment p ON p.order_id = s.id WHERE o.refunded", [])
    _insert_select(RefundLine, {
        "refund_id": "r.id", "order_line_id": "ol.id", "quantity": "ol.quantity", "amount": "ol.line_total",
    }, f"{lines} JOIN shop_refund r ON r.order_id = s.id WHERE o.refunded", [])
    # A full refund takes the whole commission back (creators.services.ledger.reverse_commission_for_refund).
    _insert_select(LedgerEntry, {
        "creator_id": "o.creator_id", "kind": "'reversal'", "amount": "-round(o.line_total * 0.10, 2)",
        "currency": "o.currency", "order_id": "o.order_id", "order_line_id": "o.line_id", "page_id": "o.page_id",
        "block_id": "o.block_id", "source_ref": f"'{REFUND_PREFIX}' || r.id", "rate": "0.1000",
        "base_amount": "o.line_total", "effective_at": "r.created_at",
    }, "FROM gen_placed o JOIN shop_refund r ON r.order_id = o.order_id WHERE o.attributed AND o.refunded", [])
    with connection.cursor() as cursor:
        for table in ("shop_order", "shop_orderline", "creators_click", "creators_pageview", "shop_addtocartevent",
                      "creators_orderlineattribution", "creators_ledgerentry", "shop_payment", "shop_refund",
                      "shop_refundline"):
            cursor.execute(f"ANALYZE {table}")


def write_late_rows(*, share: float, days_back: int = 7) -> dict[str, int]:
    """The bench's worst case: ``share`` of a day's clicks and paid orders (the last 24 hours', so the case is the same
    at any time of day) come into today lying on earlier days' heap pages, where production can put them too, and
    the report's live part must read those pages as well.

    Clicks: as many clicks of the ``days_back`` days before today (in today's month partition) are deleted, the table
    vacuumed, and they come back twice: first as today's clicks (new ids, a moment of today), which take the freed
    places on the old pages, then as themselves, appended after today's (a spool replayed after an outage). Orders: as
    many orders paid in those days are paid today instead (a late payment: the order and its lines stay where they
    were written), and their old days are marked for the rollup to rebuild. Returns the rows moved."""
    from creators.reports.rollup import mark_days_changed

    today_start = "date_trunc('day', now())"
    today_moment = f"({today_start} + random() * (now() - {today_start}))"
    earlier = (f"{{column}} >= greatest(date_trunc('month', now()), {today_start} - interval '{int(days_back)} days') "
               f"AND {{column}} < {today_start}")
    fields = [field for field in Click._meta.concrete_fields if not field.primary_key]
    copied = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    as_today = ", ".join(today_moment if field.column == "clicked_at" else connection.ops.quote_name(field.column)
                         for field in fields)
    click_table = Click._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {click_table} WHERE clicked_at >= now() - interval '1 day'")
        cursor.execute(f"CREATE UNLOGGED TABLE late_click AS SELECT * FROM {click_table} "
                       f"WHERE {earlier.format(column='clicked_at')} ORDER BY random() LIMIT %s",
                       [round(cursor.fetchone()[0] * share)])
        clicks = cursor.rowcount  # none on the 1st of a month: today's partition holds no earlier day
        cursor.execute(f"DELETE FROM {click_table} c USING late_click l WHERE c.id = l.id AND c.clicked_at = l.clicked_at")
        cursor.execute(f"VACUUM {click_table}")  # the freed places go into the free space map
        # Written by another backend, as a replaying process would: this one would keep filling the page it last
        # wrote before asking the free space map.
        replayer = connections.create_connection(connection.alias)
        try:
            with replayer.cursor() as other:
                other.execute(f"INSERT INTO {click_table} ({copied}) SELECT {as_today} FROM late_click")
                other.execute(f"INSERT INTO {click_table} (id, {copied}) SELECT id, {copied} FROM late_click")
        finally:
            replayer.close()
        cursor.execute("DROP TABLE late_click")
        cursor.execute("SELECT count(*) FROM shop_order WHERE paid_at >= now() - interval '1 day'")
        orders = round(cursor.fetchone()[0] * share)
        cursor.execute(f"SELECT id, (paid_at AT TIME ZONE 'UTC')::date FROM shop_order "
                       f"WHERE {earlier.format(column='paid_at')} ORDER BY random() LIMIT %s", [orders])
        paid_late = cursor.fetchall()
        cursor.execute(f"UPDATE shop_order SET paid_at = {today_moment} WHERE id = ANY(%s)",
                       [[order_id for order_id, _ in paid_late]])
        for table in (click_table, "shop_order"):
            cursor.execute(f"ANALYZE {table}")
    mark_days_changed({day for _, day in paid_late})
    return {"clicks": clicks, "orders": len(paid_late)}


def todays_heap_pages(*, hours: int | None = None) -> dict[str, int]:
    """Today's clicks and paid order lines (or the last ``hours``'): how many there are and on how many heap pages
    they lie (what the report's live part reads), to show whether they were written in time order."""
    today = f"now() - interval '{int(hours)} hours'" if hours else "date_trunc('day', now())"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(DISTINCT (ctid::text::point)[0]) FROM {Click._meta.db_table} "
                       f"WHERE clicked_at >= {today}")
        clicks, click_pages = cursor.fetchone()
        cursor.execute("SELECT count(*), count(DISTINCT (l.ctid::text::point)[0]) FROM shop_orderline l "
                       f"JOIN shop_order o ON o.id = l.order_id WHERE o.paid_at >= {today}")
        lines, line_pages = cursor.fetchone()
    return {"clicks": clicks, "click_pages": click_pages, "lines": lines, "line_pages": line_pages}
