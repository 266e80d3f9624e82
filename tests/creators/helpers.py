"""Builders for revenue-share tests: orders and lines written directly (no checkout flow)."""

import itertools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from creators.models import CreatorProfile
from shop.models import Order, OrderLine, OrderStatus, Product, Refund, RefundLine, Payment
from shop.money import quantize
from shop.services.buyer_identity import buyer_key

_numbers = itertools.count(1)


@dataclass(frozen=True)
class LineSpec:
    product: Product
    unit_price: str = "10.00"
    quantity: int = 1
    discount: str = "0.00"
    creator: CreatorProfile | None = None
    page_id: int | None = None
    block_id: str = ""
    click_id: int | None = None
    attributed_at: datetime | None = None


def make_order(*lines: LineSpec, email: str = "buyer@example.com", voucher_creator: CreatorProfile | None = None,
               status: str = OrderStatus.PENDING, created_at: datetime | None = None,
               paid_at: datetime | None = None, currency: str = "USD") -> Order:
    """An order whose lines carry the raw buy-link facts the shop would have copied from the cart."""
    subtotal = sum((Decimal(spec.unit_price) * spec.quantity for spec in lines), Decimal("0"))
    discount = sum((Decimal(spec.discount) for spec in lines), Decimal("0"))
    order = Order.objects.create(
        currency=currency, subtotal=subtotal, discount_total=discount, total=subtotal - discount, email=email,
        buyer_key=buyer_key(email), fulfilment_method="shipping", status=status, paid_at=paid_at,
        voucher_creator_id=voucher_creator.pk if voucher_creator else None,
    )
    if created_at is not None:
        Order.objects.filter(pk=order.pk).update(created_at=created_at)
        order.refresh_from_db()
    for spec in lines:
        variant = spec.product.variants.first()
        OrderLine.objects.create(
            order=order, variant=variant, sku=variant.sku, product_title=spec.product.title,
            brand_id=spec.product.brand_id, unit_price=Decimal(spec.unit_price), currency=currency,
            quantity=spec.quantity, discount_amount=Decimal(spec.discount),
            line_total=quantize(Decimal(spec.unit_price) * spec.quantity - Decimal(spec.discount)),
            creator_id=spec.creator.pk if spec.creator else None, page_id=spec.page_id, block_id=spec.block_id,
            click_id=spec.click_id, attributed_at=spec.attributed_at,
        )
    return order


def mark_paid(order: Order, *, at: datetime | None = None) -> Order:
    at = at or timezone.now()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, paid_at=at)
    Payment.objects.create(order=order, gateway="dummy", intent_id=f"pi_test_{next(_numbers)}", amount=order.total,
                           currency=order.currency, status="succeeded")
    order.refresh_from_db()
    return order


def refund_lines(order: Order, amounts: dict[int, str]) -> Refund:
    """A succeeded refund of ``amounts`` ({order line id: net amount}) as the shop would record it."""
    payment = order.payments.order_by("pk").first()
    total = sum((Decimal(a) for a in amounts.values()), Decimal("0"))
    refund = Refund.objects.create(payment=payment, order=order, amount=total, currency=order.currency,
                                   status="succeeded")
    for line_id, amount in amounts.items():
        line = OrderLine.objects.get(pk=line_id)
        RefundLine.objects.create(refund=refund, order_line=line, quantity=1, amount=Decimal(amount))
        OrderLine.objects.filter(pk=line_id).update(refunded_amount=line.refunded_amount + Decimal(amount))
    return refund


READER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def follow_and_add(cart, link, sku: str, quantity: int, *, reader: int, now: datetime | None = None):
    """A reader follows a tracked link (the click counted as the click view counts it) and adds the SKU
    to the cart with the link's attribution and that click."""
    from creators.services.links import record_click
    from shop.attribution import Attribution
    from shop.services.cart import add_to_cart

    click = record_click(link, ip=f"203.0.113.{reader}", user_agent=READER_AGENT, now=now)
    attribution = Attribution(creator_id=link.creator_id, page_id=link.page_id, block_id=link.block_id,
                              click_id=click.pk)
    return add_to_cart(cart, sku=sku, quantity=quantity, attribution=attribution)


PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ADDRESS = {"name": "Ada Reader", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}


def reader(user_agent: str = PHONE, ip: str = "203.0.113.7"):
    """A reader's browser on the reader site (its own session, address and user agent)."""
    from django.test import Client

    return Client(headers={"User-Agent": user_agent}, REMOTE_ADDR=ip)


def dispute_event(order: Order, *, event_type: str, event_id: str, amount: int, status: str = "needs_response",
                  dispute_id: str = "dp_1") -> dict:
    """A Stripe ``charge.dispute.*`` event for the order's payment (``amount`` in minor units)."""
    intent_id = Payment.objects.filter(order=order).order_by("pk").values_list("intent_id", flat=True).first()
    dispute = {"id": dispute_id, "object": "dispute", "payment_intent": intent_id, "amount": amount,
               "currency": order.currency.lower(), "reason": "fraudulent", "status": status}
    return {"id": event_id, "type": event_type, "data": {"object": dispute}}


# What Stripe sends, in order, for a dispute the shop wins and for one it loses.
WON = [("charge.dispute.created", "needs_response"), ("charge.dispute.funds_withdrawn", "needs_response"),
       ("charge.dispute.closed", "won"), ("charge.dispute.funds_reinstated", "won")]
LOST = [("charge.dispute.created", "needs_response"), ("charge.dispute.funds_withdrawn", "needs_response"),
        ("charge.dispute.closed", "lost")]
# An inquiry (no funds withdrawn) that closes without becoming a chargeback; a later chargeback on the same
# charge is a new dispute with its own id.
INQUIRY_CLOSED = [("charge.dispute.created", "warning_needs_response"),
                  ("charge.dispute.updated", "warning_under_review"), ("charge.dispute.closed", "warning_closed")]
