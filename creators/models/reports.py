"""Brand-report facts and rollups.

Raw facts live where they happen (clicks and the ledger here, carts and orders in the shop);
page views are ingested here. A scheduled task rolls every fact up into one row per day and
dimension (brand, creator, page, block, product); reports read the rollups for past days plus
today's raw facts, so a 90-day report touches at most 90 days of small rows.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PageView(models.Model):
    """A reader viewed a page. An event id counts once per page (front ends number their own
    events, so two pages may send the same id), and one visitor once per page in a rolling hour."""

    event_id = models.CharField(max_length=64)
    page_id = models.BigIntegerField()
    creator_id = models.BigIntegerField(null=True, blank=True)
    viewed_at = models.DateTimeField()
    visitor_hash = models.CharField(max_length=64, blank=True)

    partitioned_by_month = "viewed_at"  # on PostgreSQL (creators 0012_partition); operations.checks

    class Meta:
        # PostgreSQL partitions page views by month (creators 0012_partition), where this constraint also holds
        # viewed_at; record_page_view's lock on the event id keeps it once per page there.
        constraints = [models.UniqueConstraint(fields=["page_id", "event_id"], name="page_view_event_once_per_page")]
        indexes = [
            models.Index(fields=["viewed_at"], name="page_view_viewed_at_idx"),
            models.Index(fields=["page_id", "visitor_hash", "viewed_at"], name="page_view_visitor_idx"),
        ]

    def __str__(self) -> str:
        return f"view of page {self.page_id} at {self.viewed_at:%Y-%m-%d %H:%M}"


class DayDimensions(models.Model):
    """One day and the dimensions a report groups by: brand, creator, page, block, product."""

    day = models.DateField()
    brand_id = models.BigIntegerField(null=True, blank=True)
    creator_id = models.BigIntegerField(null=True, blank=True)
    page_id = models.BigIntegerField(null=True, blank=True)
    block_id = models.CharField(max_length=64, blank=True, default="")
    product_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        abstract = True


class SalesFigures(DayDimensions):
    """Sales at one day and dimension: units, GMV, settled refunds and commission, in one currency
    (``OrderLineFact`` per line, ``DailySales`` summed per day and dimension)."""

    currency = models.CharField(max_length=3)
    units = models.PositiveIntegerField(default=0)
    gmv = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    refunds = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    commission = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        abstract = True


class DailyPerformance(DayDimensions):
    """One day's event counts for one (brand, creator, page, block, product). Rebuilt per day, idempotently.

    Views, clicks and add-to-carts add up across rows; order figures do not (one order can span
    several products), so they live one row per order line in ``OrderLineFact``.
    ``creator_id``/``page_id`` are null for direct traffic; ``product_id`` and ``brand_id`` are null
    for a page's events (views, clicks on a page or block): stored once, they count for every brand
    the page features (``reports.facts.events_of_brands``), never once per brand.
    """

    currency = models.CharField(max_length=3, blank=True, default="")
    views = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    add_to_carts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = _("daily performance")
        indexes = [
            models.Index(fields=["brand_id", "day"], name="daily_perf_brand_day_idx"),
            models.Index(fields=["day"], name="daily_perf_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} brand {self.brand_id} creator {self.creator_id}"


class OrderLineFact(SalesFigures):
    """One counted order line as the reports see it: the order's paid day, the attribution decided
    at placement, and the line's units, GMV, settled refunds and commission (whenever they happened).

    Rebuilt per paid day by the rollup. Orders are ``COUNT(DISTINCT order_id)`` over these rows at
    whatever grouping a report asks for, so an order with two products counts once per creator.
    """

    order_id = models.BigIntegerField()
    order_line_id = models.BigIntegerField(unique=True)
    # 1 on the first line (lowest line id) of its order among the lines of the same brand and, for each
    # grouping, the same creator / page / page and block / product (``facts.ORDER_COUNT_COLUMNS``): summed
    # over a brand's rows at that grouping they give its distinct orders without a COUNT(DISTINCT).
    # Database defaults: an earlier release, which doesn't know them, inserts facts during a rolling deploy.
    orders_by_brand = models.PositiveSmallIntegerField(default=0, db_default=0)
    orders_by_creator = models.PositiveSmallIntegerField(default=0, db_default=0)
    orders_by_page = models.PositiveSmallIntegerField(default=0, db_default=0)
    orders_by_block = models.PositiveSmallIntegerField(default=0, db_default=0)
    orders_by_product = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        indexes = [
            models.Index(fields=["brand_id", "day"], name="order_fact_brand_day_idx"),
            models.Index(fields=["day"], name="order_fact_day_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(gmv__gte=0) & Q(refunds__gte=0) & Q(refunds__lte=F("gmv")),
                                   name="order_fact_money_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.day} order {self.order_id} line {self.order_line_id}"


class DailySales(SalesFigures):
    """``OrderLineFact`` summed per day and dimension, with its order-count marks (``orders_by_*``), so a
    one-brand report reads a few rows a day instead of every line (rebuilt with the day's facts)."""

    orders_by_brand = models.PositiveIntegerField(default=0)
    orders_by_creator = models.PositiveIntegerField(default=0)
    orders_by_page = models.PositiveIntegerField(default=0)
    orders_by_block = models.PositiveIntegerField(default=0)
    orders_by_product = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily sales"
        indexes = [models.Index(fields=["brand_id", "day"], name="daily_sales_brand_day_idx"),
                   models.Index(fields=["day"], name="daily_sales_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} brand {self.brand_id} creator {self.creator_id}"


class ReportDirtyDay(models.Model):
    """A past day whose figures changed after it may have been rolled up (a refund settled, a
    commission was reversed, a payment or cancellation arrived late). The next rollup rebuilds it."""

    day = models.DateField(unique=True)
    marked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rebuild {self.day}"


class RollupWatermark(models.Model):
    """How far the rollup has got: per raw-fact source the highest primary key seen, and for the
    ``days`` source the last whole day rebuilt (every day after it is rebuilt on the next run)."""

    source = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    built_through = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.source} ≤ {self.last_id}"


class LinkDayClicks(models.Model):
    """One tracked link's clicks on one day whose raw clicks retention deleted (privacy): written by
    ``creators.reports.rollup.keep_link_clicks`` just before the delete, so ``links.with_link_figures``
    counts the same clicks after the purge as before it."""

    link_id = models.BigIntegerField()
    day = models.DateField()
    clicks = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = _("link clicks per day")
        constraints = [models.UniqueConstraint(fields=["link_id", "day"], name="link_day_clicks_once")]

    def __str__(self) -> str:
        return f"link {self.link_id} on {self.day}: {self.clicks}"
