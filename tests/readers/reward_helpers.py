"""Reward-test builders: a sharer with a share of a creator's guide, and orders bought through it."""

from datetime import datetime
from itertools import count

from django.utils import timezone

from creators.models import TrackedLink
from creators.services.links import record_buy_link_click, record_click
from readers.models import Reader
from readers.services.shares import share
from shop import events
from shop.models import Order, Product
from tests.creators.helpers import PHONE, LineSpec, make_order, mark_paid

_addresses = count(10)


def make_reader(email: str) -> Reader:
    from shop.services.buyer_identity import buyer_key

    return Reader.objects.create(email=email, buyer_key=buyer_key(email), verified_at=timezone.now())


def share_of(guide, email: str = "sharer@example.com") -> TrackedLink:
    reader = Reader.objects.filter(email=email).first() or make_reader(email)
    return share(reader, page_id=guide.pk)


def new_ip() -> str:
    return f"198.51.100.{next(_addresses) % 250 + 1}"


def buy_through(link: TrackedLink, product: Product, *, email: str, ip: str | None = None, price: str = "40.00",
                quantity: int = 1, paid_at: datetime | None = None, pay: bool = True, currency: str = "USD",
                **order_fields) -> Order:
    """A friend follows the share, then buys on the guide (their line carries the guide's buy-button click,
    made by the same browser), and the order is paid (the shop's order_paid event)."""
    ip = ip or new_ip()
    record_click(link, ip=ip, user_agent=PHONE)
    button = record_buy_link_click(creator_id=link.creator_id, page_id=link.page_id, block_id="b1",
                                   product_id=product.pk, ip=ip, user_agent=PHONE)
    order = make_order(LineSpec(product, unit_price=price, quantity=quantity, creator=link.creator, page_id=link.page_id,
                                block_id="b1", click_id=button.pk), email=email, currency=currency)
    if order_fields:
        Order.objects.filter(pk=order.pk).update(**order_fields)
        order.refresh_from_db()
    if pay:
        pay_order(order, at=paid_at)
    return order


def pay_order(order: Order, *, at: datetime | None = None) -> Order:
    order = mark_paid(order, at=at)
    events.order_paid.send(order=order)
    return order
