"""What the creators app holds about a buyer: the clicks their order lines came through.

Clicks and page views carry no e-mail (a daily-rotating visitor hash only); the clicks a buyer's order
lines point at are theirs, so they are exported, and erasure blanks their referrer (a URL can carry
anything). Counts and ids stay: reports count rows, never read referrers.
"""

from datetime import datetime, timedelta

from django.conf import settings

from creators.models import Click, OrderLineAttribution, PageView
from creators.reports.figures import utc_day
from creators.reports.rollup import built_through, day_bounds, keep_link_clicks, mark_events_purged
from operations.partitions import drop_month_partitions
from privacy.registry import Row, Section, Subject, register_section
from privacy.sections.shop import subject_orders
from shop.models import AddToCartEvent, OrderLine


def _subject_clicks(subject: Subject):
    click_ids = OrderLine.objects.filter(order__in=subject_orders(subject), click_id__isnull=False).values("click_id")
    return Click.objects.filter(pk__in=click_ids)


def _clicks_rows(subject: Subject) -> list[Row]:
    return list(_subject_clicks(subject).order_by("pk").values("link__code", "clicked_at", "referrer", "ua_class"))


def _anonymise_clicks(subject: Subject, now: datetime) -> int:
    return _subject_clicks(subject).exclude(referrer="").update(referrer="")


register_section(Section(name="clicks", order=20, export=_clicks_rows, anonymise=_anonymise_clicks))


def _purge_through(now: datetime, days: int):
    """The last day whose raw rows may go: older than ``days`` and already rolled up."""
    rolled = built_through()
    if rolled is None:
        return None
    return min(rolled, utc_day(now - timedelta(days=days)) - timedelta(days=1))


def _retain_events(now: datetime) -> int:
    """Raw clicks and page views of rolled-up days past their retention go; the daily rollup keeps their
    counts (``mark_events_purged``: a later rebuild of those days keeps the event counts) and each link's
    clicks per day (``keep_link_clicks``). Clicks an order line's attribution names stay with it."""
    click_day = _purge_through(now, settings.KOLSHOP_RETENTION_CLICK_DAYS)
    view_day = _purge_through(now, settings.KOLSHOP_RETENTION_PAGE_VIEW_DAYS)
    if click_day is None or view_day is None:
        return 0
    mark_events_purged(max(click_day, view_day))
    keep_link_clicks(click_day)  # per-link figures read these days from here once their raw clicks go
    in_ledger = OrderLineAttribution.objects.filter(click__isnull=False).values("click_id")
    click_bound, view_bound = day_bounds(click_day)[1], day_bounds(view_day)[1]
    # PostgreSQL: whole months before the bound go as partitions (the ledger's clicks put back first); the rest,
    # and everything on SQLite, row by row
    months = (drop_month_partitions(table=Click._meta.db_table, before=click_bound, keep=in_ledger)
              + drop_month_partitions(table=PageView._meta.db_table, before=view_bound))
    clicks = Click.objects.filter(clicked_at__lt=click_bound).exclude(pk__in=in_ledger).delete()[0]
    views = PageView.objects.filter(viewed_at__lt=view_bound).delete()[0]
    return months + clicks + views


register_section(Section(name="click_retention", order=510, enforce_retention=_retain_events))


def _retain_add_to_carts(now: datetime) -> int:
    """Raw add-to-cart events of rolled-up days past their retention go (whole months as partitions on
    PostgreSQL); the daily rollup keeps their counts (``DailyPerformance.add_to_carts``, kept by a later rebuild
    of those days through ``mark_events_purged``). Nothing else reads them once their day is rolled up."""
    cart_day = _purge_through(now, settings.KOLSHOP_RETENTION_ADD_TO_CART_DAYS)
    if cart_day is None:
        return 0
    mark_events_purged(cart_day)
    bound = day_bounds(cart_day)[1]
    months = drop_month_partitions(table=AddToCartEvent._meta.db_table, before=bound)
    return months + AddToCartEvent.objects.filter(created_at__lt=bound).delete()[0]


register_section(Section(name="add_to_cart_retention", order=511, enforce_retention=_retain_add_to_carts))
