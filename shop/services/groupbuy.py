"""Group buy: opening and joining a team, and what a team's share link shows.

Joining (opening is joining a new team as seat 1) happens in two steps so no gateway call runs
under a row lock (``docs``: "Group buy" in the README):

1. one transaction locks the buyer (advisory), the team row, the campaign's promotion row and the
   stock rows (that order, always), checks the seat, the buyer's open teams, the campaign's caps
   and the group price (``shop.services.pricing.price_line`` with ``group_member=True``), writes
   the member, their order (status ``awaiting_group``, carrying the team's buy-link attribution)
   and reserves the units until the team's deadline;
2. after the commit, the card hold is placed (``shop.services.group_holds.place_hold``).

A full team answers 409 ``team_full``; the seat is the database's to guard as well
(``group_member_one_per_seat``), like the buyer's one open team (``group_member_one_open_team_per_buyer``).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from shop import events
from shop.attribution import Attribution
from shop.errors import Conflict, InvalidInput, NotFound
from shop.models import (
    GroupCampaign,
    GroupMember,
    GroupTeam,
    GroupTeamStatus,
    Order,
    OrderEventType,
    OrderLine,
    OrderStatus,
    PAID_ORDER_STATUSES,
    ProductStatus,
)
from shop.models.groupbuy import SEATED_MEMBER_STATUSES, OPEN_MEMBER_STATUSES
from shop.payments.gateway import PaymentGateway
from shop.payments.registry import get_gateway
from shop.services.cart import max_quantity_per_variant, parse_attribution
from shop.services.checkout import ShippingAddress, _validate_buyer, shipping_cost, shipping_snapshot
from shop.services.client_identity import VisitorKey
from shop.services.fulfilment_groups import open_fulfilment_groups
from shop.services.group_holds import Membership, place_hold
from shop.services.locks import lock_for_transaction
from shop.services.buyer_identity import buyer_key, ordered_by
from shop.services.orders import assign_pickup_code, record_event
from shop.services.pricing import LinePrice, PromotionRefusal, lock_promotions, price_line, promotion_usage
from shop.services.reservations import ReservationRequest, client_lock_name, reserve_stock

_REFUSAL_CODES = {
    PromotionRefusal.SOLD_OUT: ("group_sold_out", "The group price has sold out."),
    PromotionRefusal.BUYER_LIMIT: ("promotion_limit", "You can't buy more at the group price."),
    PromotionRefusal.NOT_STARTED: ("campaign_closed", "This group buy has not started."),
    PromotionRefusal.ENDED: ("campaign_closed", "This group buy is over."),
}


@dataclass(frozen=True)
class GroupBuyer:
    email: str
    name: str
    quantity: int
    fulfilment: str
    address: ShippingAddress | None = None
    payment_method: str = ""  # a Stripe.js payment method: the hold is then placed at once


@dataclass(frozen=True)
class TeamState:
    code: str
    status: str
    seats: int
    seats_left: int
    deadline: datetime
    members: list[str]
    sku: str
    product_title: str
    group_price: str
    list_price: str
    currency: str


def display_name(name: str, email: str) -> str:
    """What other members see: a first name, or the e-mail's initial. Never a surname or an address."""
    first = (name or "").strip().split()
    if first:
        return first[0][:30]
    return f"{(email.strip()[:1] or '?').upper()}."


def open_team(campaign_id: int, *, buyer: GroupBuyer, attribution_token: str = "",
              client: VisitorKey | None = None, gateway: PaymentGateway | None = None,
              now: datetime | None = None, referral_click_id: int | None = None) -> Membership:
    """Open a team on a campaign as its first member, holding the buyer's units and card.

    ``attribution_token``: the buy link's signed token (``shop.attribution``) for the campaign's SKU;
    the team keeps it and every member's line carries it."""
    now = now or timezone.now()
    email = _clean_buyer(buyer)
    member = _seat(campaign_id=campaign_id, code=None, buyer=buyer, email=email,
                   attribution_token=attribution_token, client=client, now=now,
                   referral_click_id=referral_click_id)
    return place_hold(member, gateway=gateway or get_gateway(), payment_method=buyer.payment_method)


def join_team(code: str, *, buyer: GroupBuyer, client: VisitorKey | None = None,
              gateway: PaymentGateway | None = None, now: datetime | None = None,
              referral_click_id: int | None = None) -> Membership:
    """Join a forming team through its share code; 409 ``team_full`` / ``team_closed`` when it can't.

    ``referral_click_id`` (``shop.attribution.referral_click_id(request)``) is stored on the order."""
    now = now or timezone.now()
    email = _clean_buyer(buyer)
    member = _seat(campaign_id=None, code=code, buyer=buyer, email=email, attribution_token="", client=client,
                   now=now, referral_click_id=referral_click_id)
    return place_hold(member, gateway=gateway or get_gateway(), payment_method=buyer.payment_method)


def _clean_buyer(buyer: GroupBuyer) -> str:
    email = _validate_buyer(buyer.email, buyer.fulfilment, buyer.address)
    limit = max_quantity_per_variant()
    if not 1 <= buyer.quantity <= limit:
        raise InvalidInput(f"Choose between 1 and {limit}.", code="invalid_quantity", field="quantity")
    return email


@transaction.atomic
def _seat(*, campaign_id: int | None, code: str | None, buyer: GroupBuyer, email: str,
          attribution_token: str, client: VisitorKey | None, now: datetime,
          referral_click_id: int | None = None) -> GroupMember:
    key = buyer_key(email)  # computed once: the buyer's lock, seat, new-buyer check and order row share it
    # The buyer's lock, then the client's hold lock (reserve_stock), in one statement, as checkout takes them.
    lock_for_transaction(f"kolshop-buyer:{key}", *([client_lock_name(client)] if client is not None else []))
    if code is not None:
        team = GroupTeam.objects.select_for_update().filter(code=code).first()
        if team is None:
            raise NotFound("No team has this share code.", code="team_not_found", field="code")
        campaign = GroupCampaign.objects.get(pk=team.campaign_id)
        taken = _check_team_open(team, now=now)
    else:
        campaign = GroupCampaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise NotFound("No group buy has this id.", code="campaign_not_found", field="campaign")
        team, taken = None, set()
    promotion = lock_promotions([campaign.promotion_id])[campaign.promotion_id]
    variant = promotion.variant
    attribution = parse_attribution(attribution_token, sku=variant.sku) if attribution_token else None
    if variant.product.status != ProductStatus.ACTIVE:
        raise Conflict(f"{variant.sku} is no longer sold.", code="unavailable", field="sku")
    if GroupMember.objects.filter(campaign=campaign, buyer_key=key,
                                  status__in=OPEN_MEMBER_STATUSES).exists():
        raise Conflict("You are already in an open team of this group buy.", code="already_in_team", field="email")
    if campaign.new_buyers_only and Order.objects.filter(ordered_by(path="", key=key),
                                                         status__in=PAID_ORDER_STATUSES).exists():
        raise Conflict("This group buy is for new buyers only.", code="new_buyers_only", field="email")
    price = _group_price(promotion, variant, quantity=buyer.quantity, email=email, key=key, now=now)
    if team is None:
        team = _new_team(campaign, attribution=attribution, now=now)
    order = _member_order(team, price, buyer=buyer, email=email, key=key, attribution=attribution, now=now,
                          referral_click_id=referral_click_id)
    reserve_stock([ReservationRequest(variant.pk, variant.sku, buyer.quantity, variant.product_id)], order=order,
                  ttl=team.deadline - now, now=now, client=client, client_locked=True)
    seat = min(set(range(1, team.seats + 1)) - taken)
    try:
        with transaction.atomic():
            member = GroupMember.objects.create(
                team=team, campaign=campaign, order=order, seat=seat, buyer_key=key,
                display_name=display_name(buyer.name, email), quantity=buyer.quantity,
            )
    except IntegrityError as error:  # the constraints' word: another join of the same buyer got in first
        raise Conflict("You are already in an open team of this group buy.", code="already_in_team",
                       field="email") from error
    record_event(order, OrderEventType.PLACED, after=OrderStatus.AWAITING_GROUP,
                 data={"total": str(order.total), "currency": order.currency, "group_team": team.code})
    events.order_placed.send(order=order)
    return member


def _check_team_open(team: GroupTeam, *, now: datetime) -> set[int]:
    if team.status != GroupTeamStatus.FORMING or team.deadline <= now:
        raise Conflict("This team is no longer open.", code="team_closed", field="code")
    taken = set(team.members.filter(status__in=SEATED_MEMBER_STATUSES).values_list("seat", flat=True))
    if len(taken) >= team.seats:
        raise Conflict("This team is full.", code="team_full", field="code")
    return taken


def _new_team(campaign: GroupCampaign, *, attribution: Attribution | None, now: datetime) -> GroupTeam:
    if campaign.team_cap is not None and campaign.teams.count() >= campaign.team_cap:
        raise Conflict("No more teams can be opened for this group buy.", code="team_cap", field="campaign")
    attribution = attribution or Attribution()
    return GroupTeam.objects.create(
        campaign=campaign, seats=campaign.team_size, deadline=now + campaign.window,
        creator_id=attribution.creator_id, page_id=attribution.page_id, block_id=attribution.block_id,
    )


def _group_price(promotion, variant, *, quantity: int, email: str, key: str, now: datetime) -> LinePrice:
    usage = promotion_usage([promotion.pk], now=now, buyer=email, buyer_key=key)
    price = price_line(variant, quantity=quantity, now=now, promotion=promotion, usage=usage, buyer_known=True,
                       group_member=True)
    if price.promotion is None:
        code, message = _REFUSAL_CODES.get(price.refusal, ("campaign_closed", "This group buy is not available."))
        raise Conflict(message, code=code, field="quantity" if code in {"promotion_limit", "group_sold_out"}
                       else "campaign")
    return price


def _member_order(team: GroupTeam, price: LinePrice, *, buyer: GroupBuyer, email: str, key: str,
                  attribution: Attribution | None, now: datetime, referral_click_id: int | None = None) -> Order:
    variant = price.promotion.variant
    address = buyer.address
    shipping = shipping_cost(fulfilment=buyer.fulfilment, address=address, currency=price.currency)
    order = Order(status=OrderStatus.AWAITING_GROUP, currency=price.currency, subtotal=price.line_total,
                  shipping_total=shipping, total=price.line_total + shipping, email=email, buyer_key=key,
                  fulfilment_method=buyer.fulfilment, reserved_until=team.deadline, referral_click_id=referral_click_id,
                  **shipping_snapshot(fulfilment=buyer.fulfilment, address=address))
    assign_pickup_code(order)
    order.save()
    # Every member's line carries the team's buy link (the opener's click id stays the opener's).
    OrderLine.objects.create(
        order=order, variant=variant, sku=variant.sku, product_title=variant.product.title,
        variant_name=variant.name, brand_id=variant.product.brand_id, unit_price=price.unit_price,
        list_unit_price=price.list_unit_price, promotion=price.promotion, currency=price.currency,
        quantity=price.quantity, line_total=price.line_total, creator_id=team.creator_id, page_id=team.page_id,
        block_id=team.block_id, click_id=attribution.click_id if attribution else None,
        attributed_at=now if team.creator_id is not None else None,
        fulfilment_group=open_fulfilment_groups(order, [variant.product.brand_id])[variant.product.brand_id],
    )
    return order


def team_state(code: str, *, now: datetime | None = None) -> TeamState:
    """What the share link shows: first names or initials, seats left, the deadline (three queries)."""
    team = (GroupTeam.objects.select_related("campaign__promotion__variant__product")
            .filter(code=code).first())
    if team is None:
        raise NotFound("No team has this share code.", code="team_not_found", field="code")
    seated = list(team.members.filter(status__in=SEATED_MEMBER_STATUSES).order_by("seat")
                  .values_list("display_name", flat=True))
    promotion = team.campaign.promotion
    variant = promotion.variant
    forming = team.status == GroupTeamStatus.FORMING and team.deadline > (now or timezone.now())
    return TeamState(
        code=team.code, status=team.status, seats=team.seats,
        seats_left=max(team.seats - len(seated), 0) if forming else 0, deadline=team.deadline,
        members=seated, sku=variant.sku, product_title=variant.product.title, group_price=str(promotion.price),
        list_price=str(variant.price), currency=promotion.currency,
    )
