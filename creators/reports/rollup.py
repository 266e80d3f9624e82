"""The incremental daily rollup (run by a scheduled task; safe to run any number of times).

Each run looks at raw facts added since the last run (primary key above each source's watermark),
finds the past days they fall on, and rebuilds exactly those days, plus every whole day since the
last run. Rebuilding a day replaces its rows with what ``collect_facts`` computes from the raw
facts, so a fact ingested twice (refused by its unique key) or a run repeated counts once.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from creators.models import Click, DailyPerformance, LedgerEntry, PageView, RollupWatermark
from creators.reports.facts import collect_facts
from shop.models import AddToCartEvent, OrderLine, RefundLine

# source name → (model, the timestamp that decides a fact's day)
SOURCES = {
    "page_views": (PageView, "viewed_at"),
    "clicks": (Click, "clicked_at"),
    "add_to_carts": (AddToCartEvent, "created_at"),
    "order_lines": (OrderLine, "order__paid_at"),
    "refund_lines": (RefundLine, "refund__created_at"),
    "ledger_entries": (LedgerEntry, "effective_at"),
}
DAYS_SOURCE = "days"


@dataclass
class RollupResult:
    days_rebuilt: list[date]
    rows_written: int


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=timezone.get_fixed_timezone(0))
    return start, start + timedelta(days=1)


def rebuild_day(day: date) -> int:
    start, end = day_bounds(day)
    rows = [
        DailyPerformance(
            day=key.day, brand_id=key.brand_id, creator_id=key.creator_id, page_id=key.page_id,
            block_id=key.block_id, product_id=key.product_id, currency=key.currency,
            views=figures.views, clicks=figures.clicks, add_to_carts=figures.add_to_carts, orders=figures.orders,
            units=figures.units, gmv=figures.gmv, refunds=figures.refunds, commission=figures.commission,
        )
        for key, figures in collect_facts(start, end).items()
    ]
    DailyPerformance.objects.filter(day=day).delete()
    DailyPerformance.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def built_through() -> date | None:
    state = RollupWatermark.objects.filter(source=DAYS_SOURCE).first()
    return state.built_through if state else None


@transaction.atomic
def roll_up(*, now: datetime | None = None) -> RollupResult:
    """Bring the daily rollup up to yesterday (UTC). Today stays live in the raw facts."""
    today = (now or timezone.now()).astimezone(timezone.get_fixed_timezone(0)).date()
    # One run at a time: the watermark rows are the lock.
    watermarks = {
        mark.source: mark
        for mark in RollupWatermark.objects.select_for_update().filter(source__in=[*SOURCES, DAYS_SOURCE]).order_by("pk")
    }
    days: set[date] = set()
    for source, (model, timestamp) in SOURCES.items():
        mark = watermarks.get(source) or RollupWatermark.objects.create(source=source)
        new_rows = model.objects.filter(pk__gt=mark.last_id)
        highest = new_rows.aggregate(highest=Max("pk"))["highest"]
        if highest is None:
            continue
        days.update(
            day for day in new_rows.filter(pk__lte=highest).exclude(**{f"{timestamp}__isnull": True})
            .annotate(day=TruncDate(timestamp)).values_list("day", flat=True).distinct()
            if day < today
        )
        mark.last_id = highest
        mark.save(update_fields=["last_id", "updated_at"])
    days_mark = watermarks.get(DAYS_SOURCE) or RollupWatermark.objects.create(source=DAYS_SOURCE)
    if days_mark.built_through is not None:
        day = days_mark.built_through + timedelta(days=1)
        while day < today:
            days.add(day)
            day += timedelta(days=1)
    rows = sum(rebuild_day(day) for day in sorted(days))
    days_mark.built_through = today - timedelta(days=1)
    days_mark.save(update_fields=["built_through", "updated_at"])
    return RollupResult(days_rebuilt=sorted(days), rows_written=rows)
