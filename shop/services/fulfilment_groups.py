"""What a brand sees of the orders it fulfils: each group's lines and shipping address, never the buyer's contact.

Every order is split into one group per brand of its lines when it is placed (``open_fulfilment_groups``,
called by checkout and by group buys before the lines are written), storefront lines or not.

``brand_fulfilment_groups`` is the one reader for brand users (admin view, tests); it copies only
the fields below into plain dataclasses, so no template or serializer can reach the buyer's e-mail
or phone through the order.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch

from shop.models import PAID_ORDER_STATUSES, FulfilmentGroup, Order, OrderLine
from shop.services.brand_access import limit_to_user_brands
from shop.services.keyed_inserts import insert_known


def open_fulfilment_groups(order: Order, brand_ids: Iterable[int] | Mapping[int, int | None]
                           ) -> dict[int, FulfilmentGroup]:
    """One group per brand of a new order's lines (one query, or a part of the caller's write batch), by brand id;
    each line is written into its brand's group (``OrderLine.fulfilment_group``). ``brand_ids`` as a mapping: each
    brand's key taken ahead for its group, or None (``keyed_inserts.insert_known``)."""
    keys = brand_ids if isinstance(brand_ids, Mapping) else {}
    groups = insert_known([FulfilmentGroup(pk=keys.get(brand_id), order=order, brand_id=brand_id)
                           for brand_id in sorted(set(brand_ids))])
    return {group.brand_id: group for group in groups}


@dataclass(frozen=True)
class GroupLine:
    sku: str
    product_title: str
    variant_name: str
    quantity: int
    wholesale_amount: Decimal
    currency: str


@dataclass(frozen=True)
class ShipTo:
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class BrandFulfilmentGroup:
    id: int
    brand_id: int
    order_number: str
    placed_at: datetime
    fulfilment_method: str
    ship_to: ShipTo
    lines: list[GroupLine]


def brand_fulfilment_groups(user: AbstractBaseUser, *, limit: int = 200) -> list[BrandFulfilmentGroup]:
    """The paid orders' groups of the user's brands (staff: every brand), newest first; two queries."""
    groups = limit_to_user_brands(FulfilmentGroup.objects.all(), user, brand_path="brand_id").filter(
        order__status__in=PAID_ORDER_STATUSES,
    ).select_related("order").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))
    ).order_by("-order__created_at", "-pk")[:limit]
    return [
        BrandFulfilmentGroup(
            id=group.pk, brand_id=group.brand_id, order_number=group.order.number, placed_at=group.order.created_at,
            fulfilment_method=group.order.fulfilment_method,
            ship_to=ShipTo(name=group.order.shipping_name, line1=group.order.shipping_line1,
                           line2=group.order.shipping_line2, city=group.order.shipping_city,
                           postal_code=group.order.shipping_postal_code, country=group.order.shipping_country),
            lines=[GroupLine(sku=line.sku, product_title=line.product_title, variant_name=line.variant_name,
                             quantity=line.quantity, wholesale_amount=line.wholesale_amount, currency=line.currency)
                   for line in group.lines.all()],
        )
        for group in groups
    ]
