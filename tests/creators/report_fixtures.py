"""A small, hand-countable week of activity for brand-report tests."""

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal


from creators.models import Click, CreatorProfile, PageView, TrackedLink
from creators.services.attribution import attribute_order
from creators.services.ledger import accrue_commission, reverse_commission_for_refund
from creators.services.roles import add_brand_member
from shop.models import AddToCartEvent, Order, Product, Refund
from tests.creators.helpers import LineSpec, make_order, mark_paid, refund_lines
from tests.factories import make_brand, make_creator, make_guide, make_product, make_user, product_card

DAY = datetime(2026, 11, 20, 12, 0, tzinfo=dt_timezone.utc)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=dt_timezone.utc)
_visitors = itertools.count(1)


@dataclass
class ReportWorld:
    acme_product: Product
    globex_product: Product
    creator: CreatorProfile
    guide_id: int
    acme_user: object
    orders: list[Order]


def at(moment: datetime, model, pk: int, field: str) -> None:
    model.objects.filter(pk=pk).update(**{field: moment})


def add_views(page_id: int, creator_id: int, count: int, *, when: datetime = DAY, prefix: str = "v") -> None:
    PageView.objects.bulk_create(
        PageView(event_id=f"{prefix}-{page_id}-{next(_visitors)}", page_id=page_id, creator_id=creator_id, viewed_at=when)
        for _ in range(count)
    )


def add_clicks(link: TrackedLink, count: int, *, when: datetime = DAY) -> None:
    for _ in range(count):
        Click.objects.create(
            link=link, creator=link.creator, page_id=link.page_id, block_id=link.block_id, product_id=link.product_id,
            clicked_at=when, hour_bucket=when.replace(minute=0, second=0), visitor_hash=f"visitor-{next(_visitors)}",
            ua_class="desktop",
        )


def build_world() -> ReportWorld:
    """Acme: 10 views, 4 clicks, 3 carts, 6 orders of 100.00 (one refunded 40.00), commission 10 %.
    Globex: the same 10 views, 2 clicks, 1 order of 50.00."""
    acme, globex = make_brand("Acme Audio"), make_brand("Globex Gear")
    acme_product = make_product(brand=acme, title="Acme Speaker", variants=[("ACME-1", "100.00", 50)])
    globex_product = make_product(brand=globex, title="Globex Tent", variants=[("GLBX-1", "50.00", 50)])
    creator = make_creator("mia")
    guide = make_guide(creator, title="Sound and sleep", slug="sound",
                       body=[product_card(acme_product), product_card(globex_product)])
    add_views(guide.pk, creator.pk, 10)
    acme_link = TrackedLink.objects.create(code="acme-blk", creator=creator, target_kind="product",
                                           product=acme_product, page_id=guide.pk, block_id="blk-a")
    globex_link = TrackedLink.objects.create(code="glbx-blk", creator=creator, target_kind="product",
                                             product=globex_product, page_id=guide.pk, block_id="blk-b")
    add_clicks(acme_link, 4)
    add_clicks(globex_link, 2)
    variant = acme_product.variants.get()
    for _ in range(3):
        AddToCartEvent.objects.create(
            variant_id=variant.pk, product_id=acme_product.pk, brand_id=acme.pk, quantity=1, currency="USD",
            creator_id=creator.pk, page_id=guide.pk, block_id="blk-a", created_at=DAY)

    orders = []
    specs = [LineSpec(acme_product, "100.00", creator=creator, page_id=guide.pk, block_id="blk-a")] * 6 + [
        LineSpec(globex_product, "50.00", creator=creator, page_id=guide.pk, block_id="blk-b")
    ]
    for number, spec in enumerate(specs):
        order = make_order(spec, email=f"buyer{number}@private.example", created_at=DAY)
        attribute_order(order, now=DAY)
        mark_paid(order, at=DAY)
        accrue_commission(order, now=DAY)
        orders.append(order)
    refund = refund_lines(orders[0], {orders[0].lines.get().pk: "40.00"})
    at(DAY, Refund, refund.pk, "created_at")
    reverse_commission_for_refund(orders[0], refund, now=DAY)

    acme_user = make_user("acme-manager")
    add_brand_member(acme_user, brand=acme)
    return ReportWorld(acme_product, globex_product, creator, guide.pk, acme_user, orders)


EXPECTED_ACME_ROW = {
    "views": 10, "clicks": 4, "add_to_carts": 3, "orders": 6, "units": 6,
    "gmv": Decimal("600.00"), "refunds": Decimal("40.00"), "net_gmv": Decimal("560.00"),
    "conversion_rate": Decimal("150.00"), "epc": Decimal("14.00"), "commission": Decimal("56.00"),
}
