"""What a signed-in reader sees of their own buying: orders (with pickup codes) and group-buy teams.

Nothing is copied onto the reader: orders and team seats are found by the one buyer identity
(``shop.services.buyer_identity.ordered_by`` / ``buyer_key``), so an order placed as a guest with the same
address shows up as soon as the address is verified, and so does every later one.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from readers.models import Reader
from shop.models import FulfilmentMethod, GroupMember, Order, OrderStatus
from shop.services.buyer_identity import ordered_by
from shop.services.pickup_codes import pickup_code_for


@dataclass(frozen=True)
class OrderLineSummary:
    product_title: str
    variant_name: str
    quantity: int


@dataclass(frozen=True)
class OrderSummary:
    number: str
    status: str
    status_label: str
    placed_at: datetime
    currency: str
    total: Decimal
    fulfilment: str
    pickup_code: str | None  # a paid pickup order not yet collected
    lines: list[OrderLineSummary]


@dataclass(frozen=True)
class TeamSummary:
    code: str
    product_title: str
    status: str
    status_label: str
    seats: int
    deadline: datetime
    member_status: str
    order_number: str


def reader_orders_query(reader: Reader) -> QuerySet[Order]:
    """The reader's orders: every order placed under their buyer identity, newest first."""
    return Order.objects.filter(ordered_by(reader.email, path="")).order_by("-created_at", "-pk")


def pickup_code_shown(order: Order) -> str | None:
    """A pickup code is shown while the paid order waits in store (as on the order page)."""
    if order.fulfilment_method != FulfilmentMethod.PICKUP or order.status != OrderStatus.PAID:
        return None
    return None if order.pickup_redeemed_at else pickup_code_for(order)


def reader_orders(reader: Reader, *, limit: int = 100) -> list[OrderSummary]:
    """Two queries whatever the number of orders and lines."""
    orders = reader_orders_query(reader).prefetch_related("lines")[:limit]
    return [
        OrderSummary(
            number=order.number, status=order.status, status_label=order.get_status_display(),
            placed_at=order.created_at, currency=order.currency, total=order.total,
            fulfilment=order.fulfilment_method, pickup_code=pickup_code_shown(order),
            lines=[OrderLineSummary(line.product_title, line.variant_name, line.quantity) for line in order.lines.all()],
        )
        for order in orders
    ]


def reader_teams(reader: Reader, *, limit: int = 100) -> list[TeamSummary]:
    """The group-buy teams the reader has a seat in (or had), newest first; one query."""
    members = (GroupMember.objects.filter(buyer_key=reader.buyer_key)
               .select_related("team", "order", "campaign__promotion__variant__product").order_by("-joined_at", "-pk")[:limit])
    return [
        TeamSummary(
            code=member.team.code, product_title=member.campaign.promotion.variant.product.title, status=member.team.status,
            status_label=member.team.get_status_display(), seats=member.team.seats, deadline=member.team.deadline,
            member_status=member.status, order_number=member.order.number,
        )
        for member in members
    ]
