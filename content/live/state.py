"""What every reader of a live session sees right now, in at most four queries and none from the cache.

``live_state(page_id)`` is the one selector the state endpoint, the SSE stream and the reader page
use. Queries on a miss: the page's view restrictions (``public()``), the page with its session and
open pin, the session's current flash deals with their used units, the variants involved with
their availability. The result is cached for ``KOLSHOP_LIVE_STATE_SECONDS`` (never past its next deal
moment) and dropped at once by every version raise (``content.live.changes``: session services, units
sold or held, stock edits, cancellations and refunds). Viewer counts come from the cache on every call.

Prices are ``shop.services.pricing.price_line``'s; remaining units are the deal's cap less its
used units (``used_promotion_lines``), never more than the stock available to everyone.
"""

import math
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from content.live.models import LivePin, LiveStatus
from content.live.notify import state_cache_key
from content.live.viewers import viewer_count
from shop.attribution import Attribution, buy_path
from shop.models import Promotion, Variant
from shop.services.offers import available_quantity, with_availability
from shop.services.pricing import is_running, price_line, promotion_buy_path, remaining_units, with_usage


class SessionNotFound(LookupError):
    pass


def _money(amount) -> str:
    return f"{amount:.2f}"


def _open_pin(field: str):
    return Subquery(LivePin.objects.filter(session=OuterRef("live_state"), unpinned_at__isnull=True)
                    .values(field)[:1])


def _load_page(page_id: int):
    from content.models import LiveSessionPage

    page = (
        LiveSessionPage.objects.live().public().filter(pk=page_id).select_related("live_state")
        .annotate(pin_id=_open_pin("pk"), pin_product_id=_open_pin("product_id"),
                  pin_variant_id=_open_pin("variant_id"), pin_offset=_open_pin("offset_seconds"))
        .only("pk", "title", "creator_id", "starts_at", "ends_at", "stream_url", "live_state")
        .first()
    )
    if page is None:
        raise SessionNotFound(page_id)
    return page


def _session_fields(page) -> tuple[str, int]:
    try:
        session = page.live_state
    except page.__class__.live_state.RelatedObjectDoesNotExist:
        return LiveStatus.SCHEDULED, 1  # as a new session row starts
    return session.status, session.version


def _deal_state(promotion: Promotion, variant: Variant, now: datetime) -> dict:
    remaining = remaining_units(promotion, units_used=promotion.units_used)
    return {
        "id": promotion.pk, "sku": variant.sku, "product_id": variant.product_id,
        "price": _money(promotion.price), "list_price": _money(variant.price), "currency": promotion.currency,
        "unit_cap": promotion.unit_cap, "per_buyer_limit": promotion.per_buyer_limit,
        "remaining_units": min(remaining, available_quantity(variant)),
        "opens_at": promotion.starts_at.isoformat(), "ends_at": promotion.ends_at.isoformat(),
        "running": is_running(promotion, now=now),
    }


def _offer(page, variant: Variant, deals: list[Promotion], now: datetime) -> dict:
    promotion = next((deal for deal in deals if deal.variant_id == variant.pk and is_running(deal, now=now)), None)
    price = price_line(variant, quantity=1, now=now, promotion=promotion)
    path = buy_path(variant.sku, Attribution(page.creator_id, page.pk, None, None))
    deal_id = price.promotion.pk if price.promotion is not None else None
    return {
        "pin_id": page.pin_id, "offset_seconds": page.pin_offset, "product_id": variant.product_id,
        "title": variant.product.title, "sku": variant.sku, "variant": variant.name,
        "price": _money(price.unit_price), "list_price": _money(price.list_unit_price), "currency": price.currency,
        "available": available_quantity(variant), "deal_id": deal_id,
        "buy_url": promotion_buy_path(path, deal_id),
    }


def _pinned_variant(page, variants: list[Variant]) -> Variant | None:
    if page.pin_variant_id is not None:
        return next((variant for variant in variants if variant.pk == page.pin_variant_id), None)
    candidates = [variant for variant in variants if variant.product_id == page.pin_product_id]
    return min(candidates, key=lambda variant: (variant.price, variant.pk), default=None)


def _moments(deal: Promotion) -> list[datetime]:
    """The times a deal changes on its own: opening after a countdown, and its end."""
    return [moment for moment in (deal.starts_at, deal.ends_at) if moment > deal.created_at]


def state_version(stored_version: int, deals: list[Promotion], *, now: datetime) -> int:
    """The one definition of a session's version: the stored counter (raised by every write readers see:
    session services and the shop facts of ``content.live.changes``) plus the deal moments that have
    passed (a countdown opening, a deal ending on time), which change the state without any write.

    It only grows: a moment passes once, and a host ending a deal early raises the stored counter too.
    """
    return stored_version + sum(1 for deal in deals for moment in _moments(deal) if moment <= now)


def _next_change_at(deals: list[Promotion], *, now: datetime) -> datetime | None:
    return min((moment for deal in deals for moment in _moments(deal) if moment > now), default=None)


def compute_live_state(page_id: int, *, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    page = _load_page(page_id)
    status, stored_version = _session_fields(page)
    all_deals = []
    if status == LiveStatus.LIVE:
        all_deals = list(with_usage(
            Promotion.objects.filter(live_flash_deal__session__page_id=page_id), now=now,
        ).order_by("starts_at", "pk"))
    deals = [deal for deal in all_deals if deal.ends_at > now]
    variant_filter = Q(pk__in=[deal.variant_id for deal in deals])
    if page.pin_id is not None:
        variant_filter |= Q(pk=page.pin_variant_id) if page.pin_variant_id else Q(product_id=page.pin_product_id)
    variants = list(with_availability(Variant.objects.filter(variant_filter).select_related("product"), now=now)) \
        if (deals or page.pin_id is not None) else []
    by_id = {variant.pk: variant for variant in variants}
    pinned = _pinned_variant(page, variants) if page.pin_id is not None else None
    next_change_at = _next_change_at(deals, now=now)
    return {
        "session": page.pk, "status": status, "version": state_version(stored_version, all_deals, now=now),
        "title": page.title, "starts_at": page.starts_at.isoformat(), "ends_at": page.ends_at.isoformat(),
        "pin": _offer(page, pinned, deals, now) if pinned is not None else None,
        "deals": [_deal_state(deal, by_id[deal.variant_id], now) for deal in deals],
        "next_change_at": next_change_at.isoformat() if next_change_at is not None else None,
    }


def seconds_to_next_change(state: dict, *, now: datetime | None = None) -> float | None:
    """How long ``state`` stays true on its own (a deal opening or ending); None: until something is written."""
    if state.get("next_change_at") is None:
        return None
    moment = datetime.fromisoformat(state["next_change_at"])
    return max((moment - (now or timezone.now())).total_seconds(), 0.0)


def live_state(page_id: int) -> dict:
    """The session's state for readers (cached, never past its next deal moment), with the viewer count."""
    key = state_cache_key(page_id)
    state = cache.get(key)
    if state is None or seconds_to_next_change(state) == 0:
        state = compute_live_state(page_id)
        until_change = seconds_to_next_change(state)
        if until_change != 0:
            cache.set(key, state, settings.KOLSHOP_LIVE_STATE_SECONDS if until_change is None
                      else min(settings.KOLSHOP_LIVE_STATE_SECONDS, math.ceil(until_change)))
    return {**state, "viewers": viewer_count(page_id)}
