"""Group buy for readers: /api/v1/group-buys/ — open a team, join it through its share code, watch it fill.

Opening and joining answer like checkout: the member's order (status ``awaiting_group``), its secret
(read it later at /orders/<number>) and the card hold to confirm (``payment.client_secret`` when the
browser confirms with Stripe's Payment Element; none when ``payment_method`` was sent and the hold
was placed at once). Errors are ``{code, message, field}``: 409 ``team_full``, ``team_closed``,
``already_in_team``, ``team_cap``, ``group_sold_out``, ``promotion_limit``, ``new_buyers_only``;
402 ``card_declined``; 404 ``team_not_found`` / ``campaign_not_found``.
"""

from datetime import datetime
from decimal import Decimal

from ninja import Router, Schema
from ninja.responses import Status

from shop.api.schemas import (
    AddressIn, AttributionToken, Email, Fulfilment, OrderOut, Quantity, ShareToken, order_out,
)
from shop.models import FulfilmentMethod, GroupMember, GroupTeam
from shop.rate_limits import rate_limit
from shop.services.checkout import ShippingAddress
from shop.attribution import referral_click_id
from shop.services.client_identity import identify_client
from shop.services.groupbuy import GroupBuyer, Membership, join_team, open_team, team_state
from shop.validation import ObjectId, column_text, text

router = Router(tags=["group buy"])

ShareCode = column_text(GroupTeam, "code", min_length=1)
FirstName = column_text(GroupMember, "display_name")
PaymentMethodId = text(max_length=100)


class JoinIn(Schema):
    email: Email
    name: FirstName = ""
    quantity: Quantity = 1
    fulfilment: Fulfilment = FulfilmentMethod.SHIPPING
    address: AddressIn | None = None
    payment_method: PaymentMethodId = ""
    share_token: ShareToken | None = None


class OpenIn(JoinIn):
    attribution: AttributionToken | None = None


class TeamOut(Schema):
    code: str
    status: str
    seats: int
    seats_left: int
    deadline: datetime
    members: list[str]
    sku: str
    product_title: str
    group_price: Decimal
    list_price: Decimal
    currency: str
    share_path: str


class HoldOut(Schema):
    gateway: str
    status: str
    client_secret: str
    publishable_key: str


class MembershipOut(Schema):
    team: TeamOut
    member_status: str
    order: OrderOut
    order_secret: str
    payment: HoldOut | None


def _team_out(code: str) -> dict:
    state = team_state(code)
    return {**state.__dict__, "share_path": f"/group/{state.code}/"}


def _buyer(payload: JoinIn) -> GroupBuyer:
    address = ShippingAddress(**payload.address.dict()) if payload.address else None
    return GroupBuyer(email=payload.email, name=payload.name, quantity=payload.quantity,
                      fulfilment=payload.fulfilment, address=address, payment_method=payload.payment_method)


def _membership_out(membership: Membership) -> dict:
    payment = membership.payment
    return {
        "team": _team_out(membership.team.code),
        "member_status": membership.member.status,
        "order": order_out(membership.order),
        "order_secret": membership.order.secret,
        "payment": None if payment is None else {
            "gateway": payment.gateway, "status": payment.status, "publishable_key": membership.publishable_key,
            # Only while the buyer still has to confirm the hold.
            "client_secret": payment.client_secret if membership.member.status == "authorising" else "",
        },
    }


@router.post("/campaigns/{campaign_id}/teams", response={201: MembershipOut},
             summary="Open a team at the group price (holds your units and card)")
@rate_limit("checkout")
def open_(request, campaign_id: ObjectId, payload: OpenIn):
    membership = open_team(campaign_id, buyer=_buyer(payload), attribution_token=payload.attribution or "",
                           client=identify_client(request),
                           referral_click_id=referral_click_id(request, share_token=payload.share_token))
    return Status(201, _membership_out(membership))


@router.post("/teams/{code}/members", response={201: MembershipOut},
             summary="Join a team through its share code (holds your units and card)")
@rate_limit("checkout")
def join(request, code: ShareCode, payload: JoinIn):
    membership = join_team(code, buyer=_buyer(payload), client=identify_client(request),
                           referral_click_id=referral_click_id(request, share_token=payload.share_token))
    return Status(201, _membership_out(membership))


@router.get("/teams/{code}", response=TeamOut, summary="A team's state: first names, seats left, deadline")
def read(request, code: ShareCode):
    return _team_out(code)
