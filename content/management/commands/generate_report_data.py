import statistics
import time
from datetime import timedelta

from django.core.management.base import BaseCommand

from content.demo import load_demo
from creators.reports.queries import ReportFilters, build_report, today_utc
from creators.reports.rollup import roll_up
from content.demo.report_data import generate
from shop.models import Brand


class Command(BaseCommand):
    help = "Generate synthetic clicks, views, carts and orders for brand reports, roll them up and time a report."

    def add_arguments(self, parser):
        parser.add_argument("--clicks", type=int, default=1_000_000)
        parser.add_argument("--orders", type=int, default=100_000)
        parser.add_argument("--views", type=int, default=300_000)
        parser.add_argument("--carts", type=int, default=150_000)
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options):
        load_demo()
        started = time.perf_counter()
        counts = generate(clicks=options["clicks"], orders=options["orders"], views=options["views"],
                          carts=options["carts"], days=options["days"], seed=options["seed"], out=self.stdout)
        self.stdout.write(f"generated {counts} in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        result = roll_up()
        self.stdout.write(f"rolled up {len(result.days_rebuilt)} days ({result.rows_written:,} rows) "
                          f"in {time.perf_counter() - started:.1f}s")
        brand = Brand.objects.order_by("pk").first()
        end = today_utc()
        filters = ReportFilters(start=end - timedelta(days=89), end=end, group_by="creator",
                                brand_ids=frozenset({brand.pk}))
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            report = build_report(filters)
            timings.append((time.perf_counter() - started) * 1000)
        self.stdout.write(
            f"90-day report for {brand.name}: {len(report.rows)} rows, GMV {report.totals[0].gmv if report.totals else 0}; "
            f"median {statistics.median(timings):.1f} ms, best {min(timings):.1f} ms over {len(timings)} runs"
        )
