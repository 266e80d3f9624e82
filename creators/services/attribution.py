"""Which creator, page and block sold each order line: the one place attribution is decided.

The shop stores only raw facts: each order line carries its last buy link's token (creator, page,
block, click, and ``attributed_at``, when the link was followed — a new link re-attributing a cart
line replaces all of them), and the order carries the creator voucher applied when it was placed.
This module decides, once, when the shop announces ``order_placed``:

1. The order's creator voucher code wins over any buy link (``Order.voucher_creator_id``); its
   time is the placement.
2. Otherwise the line's buy link, if its time is inside ``KOLSHOP_ATTRIBUTION_WINDOW_DAYS`` before
   the order was placed. The time is the click's ``clicked_at`` when the token carries a click id
   (tracked links and followed buy links record one), else when the link was followed
   (``attributed_at``).
3. Otherwise nobody.

A creator buying through their own link or code (order email = the creator's user email) stays
attributed (their page and block still show the sale) but earns nothing (reason self_referral).
Decisions are stored in ``OrderLineAttribution``, the single result that commissions and reports
read; later changes to the window never rewrite them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from creators.models import (
    AttributionSourceKind,
    Click,
    CreatorProfile,
    NoCommissionReason,
    OrderLineAttribution,
)
from creators.services.click_buffer import resolve_clicks
from shop.attribution import attribution_window
from shop.models import Order, OrderLine, StorefrontListing
from shop.services import write_batches


@dataclass(frozen=True)
class _Candidate:
    creator_id: int | None
    page_id: int | None
    block_id: str
    click_id: int | None
    source: str
    attributed_at: datetime | None


def _link_candidate(line: OrderLine, clicks: dict[int, Click], placed_at: datetime) -> _Candidate | None:
    if line.creator_id is None:
        return None
    click = clicks.get(line.click_id) if line.click_id is not None else None
    if click is not None:
        return _Candidate(line.creator_id, line.page_id, line.block_id, click.pk, AttributionSourceKind.CLICK,
                          click.clicked_at)
    # Lines written before ``attributed_at`` existed count from the placement.
    attributed_at = line.attributed_at or placed_at
    return _Candidate(line.creator_id, line.page_id, line.block_id, None, AttributionSourceKind.LINK, attributed_at)


def _voucher_takes(order: Order, line: OrderLine, listing_creators: dict[int, int]) -> bool:
    """A creator's voucher wins the line over any buy link, except a storefront line of another creator's
    listing: that sale is the listing creator's (the voucher gave nothing off it, ``vouchers.line_discount_room``)."""
    if order.voucher_creator_id is None:
        return False
    return line.listing_id is None or listing_creators.get(line.listing_id) == order.voucher_creator_id


def _decide(order: Order, line: OrderLine, link: _Candidate | None, creators: dict[int, CreatorProfile],
            placed_at: datetime, now: datetime, listing_creators: dict[int, int]) -> OrderLineAttribution:
    window = attribution_window()
    decision = OrderLineAttribution(order_id=order.pk, order_line_id=line.pk, window_days=window.days, decided_at=now,
                                    source=AttributionSourceKind.NONE, reason=NoCommissionReason.NOT_ATTRIBUTED)
    if _voucher_takes(order, line, listing_creators):
        same_creator = link is not None and link.creator_id == order.voucher_creator_id
        candidate = _Candidate(
            order.voucher_creator_id, link.page_id if same_creator else None, link.block_id if same_creator else "",
            link.click_id if same_creator else None, AttributionSourceKind.VOUCHER, placed_at,
        )
    elif link is not None:
        candidate = link
        if placed_at - link.attributed_at > window:
            decision.reason = NoCommissionReason.OUTSIDE_WINDOW
            return decision
    else:
        return decision
    creator = creators.get(candidate.creator_id)
    if creator is None:
        decision.reason = NoCommissionReason.UNKNOWN_CREATOR
        return decision
    decision.creator = creator
    decision.page_id = candidate.page_id
    decision.block_id = candidate.block_id or ""
    decision.click_id = candidate.click_id
    decision.source = candidate.source
    decision.attributed_at = candidate.attributed_at
    if creator.user.email and creator.user.email.strip().lower() == order.email.strip().lower():
        decision.reason = NoCommissionReason.SELF_REFERRAL
    else:
        decision.earns_commission = True
        decision.reason = NoCommissionReason.NONE
    return decision


def _decisions(order: Order, lines: list[OrderLine], now: datetime) -> list[OrderLineAttribution]:
    """Decide ``lines`` (clicks and creators read only when a line or the voucher names one)."""
    placed_at = order.created_at or now
    click_ids = {line.click_id for line in lines if line.click_id is not None}
    clicks = Click.objects.in_bulk(click_ids) if click_ids else {}
    if len(clicks) < len(click_ids):  # clicks still queued or buffered: write them now
        aliases = resolve_clicks(click_ids - clicks.keys())  # a repeat counted late: the visit's click
        clicks = Click.objects.in_bulk(click_ids | set(aliases.values()))
        clicks.update({click_id: clicks[counted] for click_id, counted in aliases.items() if counted in clicks})
    creator_ids = {line.creator_id for line in lines if line.creator_id is not None}
    if order.voucher_creator_id is not None:
        creator_ids.add(order.voucher_creator_id)
    creators = CreatorProfile.objects.select_related("user").in_bulk(creator_ids) if creator_ids else {}
    listing_ids = {line.listing_id for line in lines if line.listing_id is not None}
    listing_creators = dict(StorefrontListing.objects.filter(pk__in=listing_ids).values_list("pk", "creator_id")) if (
        listing_ids and order.voucher_creator_id is not None) else {}
    return [_decide(order, line, _link_candidate(line, clicks, placed_at), creators, placed_at, now, listing_creators)
            for line in lines]


def names_a_creator(order: Order, lines: list[OrderLine]) -> bool:
    """Whether any rule above could give a line to a creator: a line's buy link or the order's creator voucher
    (a group buy's lines carry their team's creator). When none does, every decision is "not attributed"."""
    return order.voucher_creator_id is not None or any(line.creator_id is not None for line in lines)


def attribute_order(order: Order, *, now: datetime | None = None,
                    lines: list[OrderLine] | None = None) -> list[OrderLineAttribution]:
    """Decide and store each line's attribution once; a second call returns the stored decisions.
    ``lines``: the order's lines when the caller has them (else read)."""
    now = now or timezone.now()
    lines = sorted(lines, key=lambda line: line.pk) if lines is not None else list(
        OrderLine.objects.filter(order_id=order.pk).order_by("pk"))
    stored = {a.order_line_id: a for a in OrderLineAttribution.objects.filter(order_line_id__in=[l.pk for l in lines])}
    missing = [line for line in lines if line.pk not in stored]
    if not missing:
        return [stored[line.pk] for line in lines]
    decisions = _decisions(order, missing, now)
    try:
        with transaction.atomic():
            OrderLineAttribution.objects.bulk_create(decisions)
    except IntegrityError:
        pass  # decided concurrently by a retried event: the stored decisions stand
    stored = {a.order_line_id: a for a in OrderLineAttribution.objects.filter(order_line_id__in=[l.pk for l in lines])
              .select_related("creator")}
    return [stored[line.pk] for line in lines]


def attribute_placed_order(*, order: Order, lines: list[OrderLine] | None = None, **_payload) -> None:
    """Handler for ``shop.events.order_placed``, which passes the lines it just wrote: they are new in
    this transaction, so none is decided yet and no other transaction can see them; one insert, and a
    repeated announcement inserts nothing (the unique order line is a conflict the database skips)."""
    if lines is None:
        lines = list(OrderLine.objects.filter(order_id=order.pk).order_by("pk"))
    # Sent with the checkout's other writes when it batches them (shop.services.write_batches).
    write_batches.insert(_decisions(order, lines, timezone.now()), ignore_conflicts=True)
