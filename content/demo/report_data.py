"""Synthetic activity for load-testing brand reports (``manage.py generate_report_data``); it lives in
content, the top floor, because it builds pages as well as creators' and the shop's rows.

Rows are written in bulk straight into the fact tables, not through checkout: the point is
volume with realistic shape (clicks → carts → orders → refunds → commission), fast. On PostgreSQL
the database writes them itself (``report_data_sql``, ``INSERT … SELECT generate_series``).
"""

import random
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from content.models import ShoppableContentPage
from creators.models import (
    AttributionSourceKind, Click, EntryKind, LedgerEntry, NoCommissionReason, OrderLineAttribution, PageView, TrackedLink,
)
from shop.models import AddToCartEvent, Order, OrderLine, OrderStatus, Payment, Refund, RefundLine, Variant
from shop.money import quantize

BATCH = 5000


class ProgressBar:
    def __init__(self, label: str, total: int, *, out=sys.stdout, width: int = 30):
        self.label, self.total, self.out, self.width, self.done = label, max(total, 1), out, width, 0

    def advance(self, count: int) -> None:
        self.done = min(self.done + count, self.total)
        filled = self.width * self.done // self.total
        self.out.write(f"\r{self.label:<12} [{'#' * filled}{'.' * (self.width - filled)}] "
                       f"{100 * self.done // self.total:3d}% {self.done:,}/{self.total:,}")
        if self.done >= self.total:
            self.out.write("\n")
        self.out.flush()


def _batches(total: int, make: Callable[[int], object]) -> Iterator[list]:
    for start in range(0, total, BATCH):
        yield [make(index) for index in range(start, min(start + BATCH, total))]


def generate(*, clicks: int, orders: int, views: int, carts: int, days: int, seed: int = 7, out=sys.stdout) -> dict:
    rng = random.Random(seed)
    now = timezone.now()
    start = now - timedelta(days=days)

    def moment() -> datetime:
        return start + timedelta(seconds=rng.randrange(days * 86400))

    pages = list(ShoppableContentPage.objects.live().exclude(creator=None).values_list("pk", "creator_id"))
    if not pages:
        raise RuntimeError("No creator pages: run `manage.py load_demo` first.")
    variants = list(Variant.objects.select_related("product").filter(product__status="active"))
    links = []
    for page_id, creator_id in pages:
        for variant in rng.sample(variants, min(8, len(variants))):
            link, _ = TrackedLink.objects.get_or_create(
                code=f"gen{page_id}x{variant.pk}", defaults={
                    "creator_id": creator_id, "target_kind": "product", "product_id": variant.product_id,
                    "page_id": page_id, "block_id": uuid.uuid5(uuid.NAMESPACE_OID, f"{page_id}-{variant.pk}").hex[:32],
                })
            links.append((link, variant))

    if connection.vendor == "postgresql":
        from content.demo.report_data_sql import generate_in_sql

        generate_in_sql(
            links=[(link.pk, link.creator_id, link.page_id, link.block_id, link.product_id, variant.pk, variant.sku,
                    variant.product.title, variant.product.brand_id, variant.price, variant.currency)
                   for link, variant in links],
            pages=pages, clicks=clicks, orders=orders, views=views, carts=carts, days=days, seed=seed,
            progress=lambda label, count: ProgressBar(label, count, out=out).advance(count),
        )
        return {"page_views": views, "clicks": clicks, "carts": carts, "orders": orders}

    bar = ProgressBar("page views", views, out=out)
    for batch in _batches(views, lambda i: PageView(
            event_id=uuid.uuid4().hex, page_id=(page := rng.choice(pages))[0], creator_id=page[1], viewed_at=moment())):
        PageView.objects.bulk_create(batch)
        bar.advance(len(batch))

    bar = ProgressBar("clicks", clicks, out=out)
    def make_click(_):
        link, _variant = rng.choice(links)
        at = moment()
        return Click(link_id=link.pk, creator_id=link.creator_id, page_id=link.page_id, block_id=link.block_id,
                     product_id=link.product_id, clicked_at=at,
                     visitor_hash=uuid.uuid4().hex + uuid.uuid4().hex, ua_class="mobile")
    for batch in _batches(clicks, make_click):
        Click.objects.bulk_create(batch)
        bar.advance(len(batch))

    bar = ProgressBar("add-to-carts", carts, out=out)
    def make_add(_):
        link, variant = rng.choice(links)
        return AddToCartEvent(variant_id=variant.pk, product_id=variant.product_id, brand_id=variant.product.brand_id,
                              quantity=1, currency=variant.currency, creator_id=link.creator_id, page_id=link.page_id,
                              block_id=link.block_id, created_at=moment())
    for batch in _batches(carts, make_add):
        AddToCartEvent.objects.bulk_create(batch)
        bar.advance(len(batch))

    bar = ProgressBar("orders", orders, out=out)
    for batch in _batches(orders, lambda i: None):
        _write_orders(len(batch), rng=rng, links=links, moment=moment, now=now)
        bar.advance(len(batch))
    return {"page_views": views, "clicks": clicks, "carts": carts, "orders": orders}


def _write_orders(count: int, *, rng, links, moment, now) -> None:
    plans = []
    for _ in range(count):
        link, variant = rng.choice(links)
        quantity = rng.choice((1, 1, 1, 2))
        total = quantize(variant.price * quantity)
        paid_at = moment()
        plans.append((link, variant, quantity, total, paid_at, rng.random() < 0.7, rng.random() < 0.03))
    created = Order.objects.bulk_create([
        Order(currency=variant.currency, subtotal=total, total=total, email=f"buyer{rng.randrange(10**9)}@example.com",
              fulfilment_method="shipping", shipping_country="US", status=OrderStatus.PAID, paid_at=paid_at)
        for link, variant, quantity, total, paid_at, _, _ in plans
    ])
    lines = OrderLine.objects.bulk_create([
        OrderLine(order_id=order.pk, variant_id=variant.pk, sku=variant.sku, product_title=variant.product.title,
                  brand_id=variant.product.brand_id, unit_price=variant.price, currency=variant.currency,
                  quantity=quantity, line_total=total, creator_id=link.creator_id if attributed else None,
                  page_id=link.page_id if attributed else None, block_id=link.block_id if attributed else "",
                  attributed_at=paid_at if attributed else None)
        for order, (link, variant, quantity, total, paid_at, attributed, _) in zip(created, plans)
    ])
    decisions, entries, refunded = [], [], []
    for order, line, (link, variant, quantity, total, paid_at, attributed, refund) in zip(created, lines, plans):
        if attributed:
            decisions.append(OrderLineAttribution(
                order_id=order.pk, order_line_id=line.pk, creator_id=link.creator_id, page_id=link.page_id,
                block_id=link.block_id, source=AttributionSourceKind.LINK, earns_commission=True,
                reason=NoCommissionReason.NONE, attributed_at=paid_at, window_days=30, decided_at=paid_at))
            entries.append(LedgerEntry(
                creator_id=link.creator_id, kind=EntryKind.ACCRUAL, amount=quantize(total * Decimal("0.10")),
                currency=variant.currency, order_id=order.pk, order_line_id=line.pk, page_id=link.page_id,
                block_id=link.block_id, source_ref="paid", rate=Decimal("0.1000"), base_amount=total,
                effective_at=paid_at))
        if refund:
            refunded.append((order, line, total, paid_at))
    OrderLineAttribution.objects.bulk_create(decisions)
    LedgerEntry.objects.bulk_create(entries)
    payments = Payment.objects.bulk_create([
        Payment(order_id=order.pk, gateway="dummy", intent_id=f"pi_gen_{uuid.uuid4().hex}", amount=total,
                currency=line.currency, status="succeeded") for order, line, total, _ in refunded
    ])
    refunds = Refund.objects.bulk_create([
        Refund(payment_id=payment.pk, order_id=order.pk, amount=total, currency=line.currency, status="succeeded")
        for payment, (order, line, total, _) in zip(payments, refunded)
    ])
    RefundLine.objects.bulk_create([
        RefundLine(refund_id=refund.pk, order_line_id=line.pk, quantity=line.quantity, amount=total)
        for refund, (order, line, total, _) in zip(refunds, refunded)
    ])
    for refund, (_, _, _, paid_at) in zip(refunds, refunded):
        Refund.objects.filter(pk=refund.pk).update(created_at=min(paid_at + timedelta(days=2), now))
