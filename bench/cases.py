"""The bench's comparisons. Each returns table rows; numbers are ratios within this run."""

import json
import statistics
import time
import uuid

from django.core.cache import cache
from django.test import Client

from bench.harness import AppCPUClock, Row, count_queries, interleaved, ratio_row
from bench.urls import PRERENDERED

HOST = {"HTTP_HOST": "localhost"}


def _get(client: Client, path: str, **headers):
    response = client.get(path, **HOST, **headers)
    assert response.status_code in (200, 301, 302, 304), (path, response.status_code, response.content[:300])
    return response


def content_uncached(data, *, rounds: int) -> list[Row]:
    """A page's JSON read when its cached entry is gone: invalidated as a sale, a stock change or a publish
    invalidates it, with the rest of the cache warm (as a running site's is); then once more for 100 blocks with
    the whole cache cleared (a cold start), where both sides also read Wagtail's site root paths and kolshop
    its site."""
    from content.services.page_cache import forget_page

    client = Client()
    rows = []
    queries = {}
    for size in (10, 100):
        kolshop, naive = f"/api/v2/pages/{data.guides[size].pk}/", f"/bench/naive-api/pages/{data.naive_guides[size].pk}/"
        page_id = data.guides[size].pk
        cache.clear()
        first_read = count_queries(lambda: _get(client, kolshop))
        forget_page(page_id)  # read again uncached: the process now knows the page (content.api.views)
        queries[size] = count_queries(lambda: _get(client, kolshop))
        naive_queries = count_queries(lambda: _get(client, naive))
        forget_page(page_id)
        size_kolshop, size_naive = len(_get(client, kolshop).content), len(_get(client, naive).content)
        timings = interleaved({"kolshop": lambda: _get(client, kolshop), "naive Wagtail": lambda: _get(client, naive)},
                              rounds=rounds, setup=lambda: forget_page(page_id))
        # Issue 14's target is at 100 blocks; at 10 the row is shown against it for reference (fixed costs weigh more).
        rows.append(ratio_row(
            f"content API uncached, {size} blocks", timings, subject="kolshop", baseline="naive Wagtail",
            target="≤ 0.33× naive (3× faster)" if size == 100 else "reference (issue 14: at 100 blocks)",
            passes=(lambda ratio: ratio <= 1 / 3) if size == 100 else (lambda ratio: None),
            notes=f"the page's entry invalidated, the rest of the cache warm; queries {queries[size]} "
                  f"({first_read} on the process's first read, cold cache) vs naive {naive_queries}; "
                  f"payload {size_kolshop // 1024} kB vs {size_naive // 1024} kB",
        ))
    timings = interleaved({"kolshop": lambda: _get(client, kolshop), "naive Wagtail": lambda: _get(client, naive)},
                          rounds=rounds, setup=cache.clear)
    rows.append(ratio_row(
        "content API cold cache, 100 blocks", timings, subject="kolshop", baseline="naive Wagtail",
        target="≤ 0.33× naive (3× faster)", passes=lambda ratio: ratio <= 1 / 3,
        notes="the whole cache cleared before each read (both sides read the site root paths again)",
    ))
    constant = queries[10] == queries[100] and queries[100] <= 15
    rows.append(Row("content API queries, 10 → 100 blocks", f"{queries[10]} → {queries[100]}", "—", None,
                    "constant, ≤ 15", constant))
    return rows


def content_cached(data, *, rounds: int) -> list[Row]:
    client = Client()
    path = f"/api/v2/pages/{data.guides[100].pk}/"
    cache.clear()
    first = _get(client, path)
    PRERENDERED["guide"] = first.content
    hit_queries = count_queries(lambda: _get(client, path))
    not_modified = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"], **HOST).status_code
    timings = interleaved({"kolshop": lambda: _get(client, path), "floor": lambda: _get(client, "/bench/floor/guide/")},
                          rounds=rounds)
    unknown_param_queries = count_queries(lambda: _get(client, f"{path}?_={uuid.uuid4().hex}"))
    return [
        ratio_row("cached page JSON (100 blocks)", timings, subject="kolshop", baseline="floor",
                  target="≤ 1.5× pre-rendered bytes", passes=lambda ratio: ratio <= 1.5,
                  notes=f"{hit_queries} queries on a hit; If-None-Match → {not_modified}"),
        Row("cached page JSON: queries on a hit", str(hit_queries), "—", None, "0", hit_queries == 0),
        Row("cached page JSON: matching If-None-Match", str(not_modified), "—", None, "304", not_modified == 304),
        Row("cached page JSON: unknown query parameter", f"{unknown_param_queries} queries", "—", None,
            "0 queries (ignored by the key)", unknown_param_queries == 0),
    ]


def _buy_flow(client: Client, sku: str, email: str) -> None:
    def post(path, payload=None, **headers):
        response = client.post(f"/api/v1{path}", json.dumps(payload or {}), content_type="application/json",
                               **HOST, **headers)
        assert response.status_code in (200, 201), (path, response.status_code, response.content[:300])
        return response.json()

    token = post("/carts")["token"]
    post(f"/carts/{token}/lines", {"sku": sku, "quantity": 1})
    placed = post(f"/carts/{token}/checkout", {"email": email, "fulfilment": "pickup"})
    post(f"/orders/{placed['order']['number']}/pay", **{"HTTP_X_ORDER_SECRET": placed["order_secret"]})


WARMUP_ROUNDS = 3


def buy_flow(data, *, rounds: int) -> list[Row]:
    client = Client()
    emails = (f"buyer{n}@example.com" for n in range(10**9))
    # The process's first flow also reads what is then remembered: the pages showing the product (cached 24 h per
    # product, for invalidating their JSON) and, after content reads, the live flag (shared, 60 s). A running
    # site pays those once, not per flow: the target is a warmed flow's, and the first flow's count is shown too.
    first_flow = count_queries(lambda: _buy_flow(client, data.hot_sku, next(emails)))
    statements = count_queries(lambda: _buy_flow(client, data.hot_sku, next(emails)))
    in_handler = AppCPUClock(client)
    in_handler_ns: list[int] = []

    def flow() -> None:
        before = in_handler()
        _buy_flow(client, data.hot_sku, next(emails))
        in_handler_ns.append(in_handler() - before)

    cpu = interleaved({"kolshop": flow, "4 bare requests": lambda: [_get(client, "/bench/bare/") for _ in range(4)]},
                      rounds=rounds, warmup=WARMUP_ROUNDS, clock=time.process_time_ns)
    flow_ms = cpu["kolshop"].median_ms
    return [
        Row("buy flow: SQL statements (cart, add, checkout, pay)", str(statements), "—", None, "≤ 30",
            statements <= 30, f"a warmed flow; the process's first flow: {first_flow} (reads then remembered: the "
                              "product's pages for 24 h, the live flag for 60 s)"),
        ratio_row("buy flow: app CPU per flow", cpu, subject="kolshop", baseline="4 bare requests",
                  target="≤ 15 ms CPU (¼ of 60 ms at filing)", passes=lambda ratio: flow_ms <= 15.0,
                  notes=f"process CPU time, not wall time; {statistics.median(in_handler_ns[WARMUP_ROUNDS:]) / 1e6:.2f} "
                        "ms of it inside the app's request handler (the test client's own work left out: "
                        "bench.harness.AppCPUClock)"),
    ]


def _threads(count: int, work) -> float:
    """Run ``work(index)`` in ``count`` threads with their own DB connections; returns wall seconds."""
    import threading

    from django.db import connections

    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as error:  # noqa: BLE001 - reported after the join
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def hot_and_spread_skus(data, *, flows_per_client: int, clients: int = 8, rounds: int = 5) -> list[Row]:
    """Buy flows from several clients at once: all on one SKU, then each on its own; plus the floor,
    a guarded ``UPDATE … WHERE on_hand >= 1`` on one row from as many connections.

    One pair of runs lasts a second or two on a shared machine, so the ratio is the median of ``rounds`` pairs,
    each pair's ratio taken from its own two runs, the first run alternately hot and spread (neither always meets a
    warmer cache or a busier machine)."""
    from django.db import connection

    from shop.models import Stock

    if connection.vendor != "postgresql":
        return [Row("hot SKU vs spread SKUs throughput", "skipped (SQLite serialises writers)", "—", None,
                    "≥ 80 %, 0 oversold", None, "run make bench (PostgreSQL)")]
    total = clients * flows_per_client

    def flows(sku_of):
        def work(index: int) -> None:
            client = Client()
            for n in range(flows_per_client):
                _buy_flow(client, sku_of(index), f"c{index}-{n}-{uuid.uuid4().hex[:6]}@example.com")
        return work

    runs = {"hot": flows(lambda index: data.hot_sku),
            "spread": flows(lambda index: data.spread_skus[index % len(data.spread_skus)])}
    before = dict(Stock.objects.filter(variant__sku__in=data.spread_skus + [data.hot_sku])
                  .values_list("variant__sku", "on_hand"))
    seconds, ratios = {"hot": 0.0, "spread": 0.0}, []
    for round_number in range(rounds):
        taken = {name: _threads(clients, runs[name])
                 for name in (("hot", "spread") if round_number % 2 == 0 else ("spread", "hot"))}
        ratios.append(taken["spread"] / taken["hot"])  # hot flows/s over spread flows/s
        seconds = {name: seconds[name] + taken[name] for name in seconds}
    after = dict(Stock.objects.filter(variant__sku__in=data.spread_skus + [data.hot_sku])
                 .values_list("variant__sku", "on_hand"))
    sold = sum(before[sku] - after[sku] for sku in before)
    hot_variant = Stock.objects.get(variant__sku=data.hot_sku).variant_id

    def guarded(index: int) -> None:
        with connection.cursor() as cursor:
            for _ in range(flows_per_client):
                cursor.execute("UPDATE shop_stock SET on_hand = on_hand - 1 WHERE variant_id = %s AND on_hand >= 1",
                               [hot_variant])

    update_seconds = _threads(clients, guarded)
    hot_rate, spread_rate = total * rounds / seconds["hot"], total * rounds / seconds["spread"]
    ratio, update_rate = statistics.median(ratios), total / update_seconds
    return [
        Row("buy flows, one hot SKU vs spread SKUs", f"{hot_rate:.1f} flows/s (hot)",
            f"spread: {spread_rate:.1f} flows/s", ratio, "hot ≥ 0.8× spread", ratio >= 0.8,
            f"{clients} clients × {flows_per_client} flows each; median of {rounds} rounds "
            f"({min(ratios):.2f}–{max(ratios):.2f}×)"),
        Row("buy flows: units sold vs flows paid", f"{sold} sold", f"{2 * total * rounds} flows", None,
            "0 oversold, 0 lost", sold == 2 * total * rounds),
        Row("guarded UPDATE on the hot row (floor)", f"{update_rate:.0f} updates/s", "—", None,
            "reference", None, "raw SQL from the same number of connections"),
    ]


NOT_YET_MEASURED = [
    Row("per-buyer limit: no sequential scan at 100k orders", "EXPLAIN test", "—", None, "index scan", None,
        "tests/shop/test_buyer_limit_index.py (PostgreSQL)"),
]


REPORT_CLICKS, REPORT_ORDERS, REPORT_VIEWS, REPORT_CARTS = 1_000_000, 100_000, 300_000, 150_000


LATE_SHARE = 0.03  # of a day's clicks and paid orders, in the worst case
REPORT_DAYS = 120  # the generated data's span: an average day holds REPORT_CLICKS / REPORT_DAYS clicks


def _report_windows():
    """The brand report's 90 days with today (live) and the 90 days ending yesterday (the rollup alone), for the
    bench's brand."""
    from datetime import timedelta

    from creators.reports.queries import ReportFilters, today_utc
    from shop.models import Brand

    brand_ids = frozenset({Brand.objects.get(slug="bench-audio").pk})
    today = today_utc()
    return (ReportFilters(start=today - timedelta(days=89), end=today, brand_ids=brand_ids),
            ReportFilters(start=today - timedelta(days=90), end=today - timedelta(days=1), brand_ids=brand_ids))


def busy_day_report(data, *, rounds: int, scale: int) -> list[Row]:
    """The 90-day report again once the click cases ran: their follows, of one of the reported brand's links, are
    today's clicks too, several times an average day's. Issue 14 sets its target at its size (``brand_report``'s
    rows); this one shows how the report's live part grows with today's clicks, for reference."""
    from datetime import UTC, datetime

    from creators.models import Click
    from creators.reports.queries import build_report, today_utc

    with_today, until_yesterday = _report_windows()
    midnight = datetime.combine(today_utc(), datetime.min.time(), tzinfo=UTC)
    todays_clicks = Click.objects.filter(clicked_at__gte=midnight).count()
    followed = Click.objects.filter(link__code=data.link_code, clicked_at__gte=midnight).count()
    average_day = REPORT_CLICKS // scale // REPORT_DAYS
    timings = interleaved({"kolshop": lambda: build_report(with_today),
                           "window ending yesterday": lambda: build_report(until_yesterday)}, rounds=rounds)
    return [ratio_row(
        f"90-day brand report on a busy day ({todays_clicks / average_day:.0f}× an average day's clicks)", timings,
        subject="kolshop", baseline="window ending yesterday", target="reference (issue 14: at its size, above)",
        passes=lambda ratio: None,
        notes=f"today's {todays_clicks:,} clicks ({followed:,} of them the /r/ cases' follows of this brand's "
              f"link; an average day of the generated data: {average_day:,}), the live part reads each of them")]


def _late_rows_report(with_today, until_yesterday, *, rounds: int) -> list[Row]:
    """The same report once ``LATE_SHARE`` of a day's clicks and orders come into today lying among earlier days' rows (a spool
    replayed after an outage, late payments: ``report_data_sql.write_late_rows``), the rollup run again."""
    from content.demo.report_data_sql import todays_heap_pages, write_late_rows
    from creators.reports.queries import build_report
    from creators.reports.rollup import roll_up

    in_order = todays_heap_pages()
    moved = write_late_rows(share=LATE_SHARE)
    roll_up()  # the late payments' old days, as the hourly job rebuilds them
    late = todays_heap_pages()
    timings = interleaved({"kolshop": lambda: build_report(with_today),
                           "window ending yesterday": lambda: build_report(until_yesterday)}, rounds=rounds)
    report_ms = timings["kolshop"].median_ms
    return [ratio_row(
        f"90-day brand report, {LATE_SHARE:.0%} of a day's rows late (worst case)", timings, subject="kolshop",
        baseline="window ending yesterday", target="≤ 50 ms incl. today", passes=lambda ratio: report_ms <= 50.0,
        notes=f"{moved['clicks']:,} clicks and {moved['orders']:,} orders of the week before moved into today, "
              f"on old pages; today's {late['clicks']:,} clicks on {late['click_pages']:,} heap pages "
              f"(in order {in_order['click_pages']:,}), its {late['lines']:,} order lines on {late['line_pages']:,} "
              f"({in_order['line_pages']:,})")]


def brand_report(data, *, rounds: int, scale: int) -> list[Row]:
    """Issue 14's report case: generate 1M clicks / 100k orders (``scale`` divides them: QUICK runs 1/20),
    roll up, then time the 90-day report of one brand (today's live figures included) against the same
    report for a window ending yesterday (the rollup alone)."""
    import io
    import os
    from decimal import Decimal

    from django.db import connection

    from content.demo.report_data import generate
    from creators.reports.queries import build_report
    from creators.reports.rollup import roll_up
    from shop.models import Brand, Product, Stock, Variant

    # A second brand's products share the pages' links, so the brand filter has something to leave out.
    other = Brand.objects.create(name="Bench Optics", slug="bench-optics")
    for number in range(10):
        product = Product.objects.create(brand=other, title=f"Optics {number}", slug=f"optics-{number}", status="active")
        Stock.objects.create(variant=Variant.objects.create(product=product, sku=f"OPT-{number}",
                                                            price=Decimal("19.00") + number), on_hand=100)
    counts = {name: total // scale for name, total in (("clicks", REPORT_CLICKS), ("orders", REPORT_ORDERS),
                                                       ("views", REPORT_VIEWS), ("carts", REPORT_CARTS))}
    started = time.perf_counter()
    generate(**counts, days=REPORT_DAYS, seed=7, out=io.StringIO())
    generated = time.perf_counter() - started
    started = time.perf_counter()
    rolled = roll_up()
    rollup_seconds = time.perf_counter() - started
    with_today, until_yesterday = _report_windows()
    queries = count_queries(lambda: build_report(with_today))
    timings = interleaved({"kolshop": lambda: build_report(with_today),
                           "window ending yesterday": lambda: build_report(until_yesterday)}, rounds=rounds)
    report_ms = timings["kolshop"].median_ms
    late = _late_rows_report(with_today, until_yesterday, rounds=rounds) if connection.vendor == "postgresql" else []
    scaled = "" if scale == 1 else f"data scaled 1/{scale} (QUICK); "
    size = f"{counts['clicks']:,} clicks / {counts['orders']:,} orders"
    generation_target = 180 / scale
    building = generated + rollup_seconds  # the data a report reads: raw facts and the rollup job's rows
    return [
        ratio_row(f"90-day brand report at {size}", timings, subject="kolshop", baseline="window ending yesterday",
                  target="≤ 50 ms incl. today", passes=lambda ratio: report_ms <= 50.0,
                  notes=f"{scaled}{queries} queries; today live, in SQL for the brand; {connection.vendor}"),
        *late,
        Row(f"generating {size} (facts + rollup)", f"{building:.1f} s",
            f"facts {generated:.1f} s + rollup job {rollup_seconds:.1f} s", None,
            f"≤ {generation_target:.0f} s" + ("" if scale == 1 else f" (180 s / {scale})"),
            building <= generation_target,
            f"{scaled}INSERT … SELECT generate_series, month partitions, 1–3 lines an order; "
            f"{rolled.rows_written:,} rollup rows; load average {os.getloadavg()[0]:.1f}"
            if connection.vendor == "postgresql" else f"{scaled}ORM bulk_create (SQLite)"),
    ]
