"""Which share (if any) led to an order, and whether it may be rewarded (the fraud rules).

A share is found through the order's own clicks: a line bought through a shared product link carries
the share click itself; an order placed from a browser that followed a share carries that click as
``Order.referral_click_id`` (the signed referral cookie ``/r/`` sets, ``shop.attribution``), on any day
within the attribution window: guide and team shares are credited so; and a line bought on a shared
guide carries the guide's buy-button click, made by the same browser, so the share clicks with the same
visitor hash (``client_identity.visitor_key``, which changes daily) within the window count too. The earliest such
share click wins: concurrent orders by one buyer through two sharers' links all point at the first.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from creators.models import Click, LinkKind
from creators.services.click_buffer import resolve_clicks
from readers.models import Reader, RefusalReason, RewardEntry, RewardEntryKind
from shop.attribution import attribution_window
from shop.models import Order, OrderLine, OrderStatus


@dataclass(frozen=True)
class ShareCredit:
    click: Click
    sharer: Reader


def _counted_click_id(click_id: int) -> int:
    """The click a referral cookie's id stands for: itself once written; a repeat's visit click (written
    now if still queued or buffered, ``resolve_clicks``); itself (so nothing) when it was never counted."""
    if Click.objects.filter(pk=click_id).exists():
        return click_id
    return resolve_clicks({click_id}).get(click_id, click_id)


def share_click_for(order: Order) -> ShareCredit | None:
    """The first share click that led to ``order`` (its sharer still a reader), or None."""
    click_ids = {click_id for click_id in OrderLine.objects.filter(order=order).values_list("click_id", flat=True)
                 if click_id is not None}
    if not click_ids and order.referral_click_id is None:
        return None
    window = Q(clicked_at__lte=order.created_at, clicked_at__gte=order.created_at - attribution_window())
    own = list(Click.objects.filter(pk__in=click_ids).values_list("visitor_hash", flat=True))
    shares = Click.objects.filter(link__kind=LinkKind.READER_SHARE).select_related("link")
    found = Q(pk__in=click_ids) | (Q(visitor_hash__in=own) & window)
    if order.referral_click_id is not None:  # the browser's referral cookie: any day within the window
        found |= Q(pk=_counted_click_id(order.referral_click_id)) & window
    first = shares.filter(found).order_by("clicked_at", "pk").first()
    if first is None:
        return None
    sharer = Reader.objects.filter(pk=first.link.sharer_id).first()
    return ShareCredit(first, sharer) if sharer is not None else None


def reward_base(order: Order) -> Decimal:
    """What a reward is computed from: the goods paid for (the total less shipping)."""
    return order.total - order.shipping_total


def _rules() -> dict:
    return settings.KOLSHOP_READER_REWARD_RULES


def _sharer_bought_here(order: Order, sharer: Reader, click: Click) -> bool:
    """The buyer is the sharer: the same buyer identity, a shipping address the sharer used, or the
    share clicked from a browser the sharer bought with (the same visitor hash as the sharer's own click)."""
    if order.buyer_key == sharer.buyer_key:
        return True
    sharer_orders = Order.objects.filter(buyer_key=sharer.buyer_key).exclude(pk=order.pk)
    if order.shipping_line1 and sharer_orders.filter(
            shipping_line1__iexact=order.shipping_line1.strip(), shipping_postal_code__iexact=order.shipping_postal_code.strip(),
            shipping_country=order.shipping_country).exists():
        return True
    sharer_clicks = OrderLine.objects.filter(order__in=sharer_orders, click_id__isnull=False).values("click_id")
    return Click.objects.filter(pk__in=sharer_clicks, visitor_hash=click.visitor_hash).exists()


def refusal_reason(order: Order, credit: ShareCredit, *, now: datetime) -> str | None:
    """Why this share earns nothing on this order, or None: each rule on unless its setting is off."""
    rules, click, sharer = _rules(), credit.click, credit.sharer
    if not click.link.active:  # a blocked share is never active (``blocked_at``, the database check)
        return RefusalReason.LINK_BLOCKED
    if rules.get("self_purchase", True) and _sharer_bought_here(order, sharer, click):
        return RefusalReason.SELF_PURCHASE
    if rules.get("new_buyers_only", True) and Order.objects.filter(
            buyer_key=order.buyer_key, created_at__lt=order.created_at).exclude(
            pk=order.pk).exclude(status=OrderStatus.CANCELLED).exists():
        return RefusalReason.RETURNING_BUYER
    minimum = rules.get("minimum_order")
    if minimum is not None and reward_base(order) < Decimal(str(minimum)):
        return RefusalReason.BELOW_MINIMUM
    per_sharer = rules.get("per_sharer_per_30_days")
    accruals = RewardEntry.objects.filter(kind=RewardEntryKind.ACCRUAL)
    if per_sharer is not None and accruals.filter(
            reader=sharer, effective_at__gt=now - timedelta(days=30)).count() >= per_sharer:
        return RefusalReason.SHARER_CAP
    per_visitor = rules.get("per_visitor_per_day")
    if per_visitor is not None and Click.objects.filter(
            pk__in=accruals.filter(effective_at__gt=now - timedelta(days=1)).values("click_id"),
            visitor_hash=click.visitor_hash).count() >= per_visitor:
        return RefusalReason.VISITOR_CAP
    return None
