"""A small, hand-countable week of activity for brand-report tests."""

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timezone as dt_timezone
from decimal import Decimal


from creators.models import Click, CreatorProfile, OrderLineFact, PageView, TrackedLink
from creators.reports import rollup
from creators.reports.facts import order_line_facts
from creators.reports.rollup import day_bounds, roll_up
from creators.services.links import record_click
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


BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def add_clicks(link: TrackedLink, count: int, *, when: datetime = DAY) -> list[Click]:
    """``count`` readers follow the link, counted as the click view counts them (one per reader)."""
    return [record_click(link, ip=f"198.51.100.{next(_visitors) % 250 + 1}", user_agent=BROWSER, now=when)
            for _ in range(count)]


def build_world() -> ReportWorld:
    """Acme: 10 views, 8 clicks (6 of them buy), 3 carts, 6 orders of 100.00 (one refunded 40.00),
    commission 10 %. Globex: the same 10 views, 2 clicks (1 buys), 1 order of 50.00.
    Every attributed order carries the click that led to it, as the product records it."""
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
    acme_clicks = add_clicks(acme_link, 8)
    globex_clicks = add_clicks(globex_link, 2)
    variant = acme_product.variants.get()
    for _ in range(3):
        AddToCartEvent.objects.create(
            variant_id=variant.pk, product_id=acme_product.pk, brand_id=acme.pk, quantity=1, currency="USD",
            creator_id=creator.pk, page_id=guide.pk, block_id="blk-a", created_at=DAY)

    orders = []
    specs = [LineSpec(acme_product, "100.00", creator=creator, page_id=guide.pk, block_id="blk-a", click_id=click.pk)
             for click in acme_clicks[:6]] + [
        LineSpec(globex_product, "50.00", creator=creator, page_id=guide.pk, block_id="blk-b",
                 click_id=globex_clicks[0].pk)
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
    "views": 10, "clicks": 8, "add_to_carts": 3, "orders": 6, "units": 6,
    "gmv": Decimal("600.00"), "refunds": Decimal("40.00"), "net_gmv": Decimal("560.00"),
    "conversion_rate": Decimal("75.00"), "epc": Decimal("7.00"), "commission": Decimal("56.00"),
}


def add_lamp_order(world: ReportWorld, *, at_time: datetime = DAY) -> ReportWorld:
    """An order of two lines of a second Acme product (Acme Lamp, 30.00 each) and a Globex line (50.00), all
    attributed to the world's creator, guide and block ``blk-a``, paid at ``at_time`` (no commission accrued)."""
    lamp = make_product(brand=world.acme_product.brand, title="Acme Lamp", variants=[("ACME-2", "30.00", 50)])
    spec = {"creator": world.creator, "page_id": world.guide_id, "block_id": "blk-a"}
    order = make_order(LineSpec(lamp, "30.00", **spec), LineSpec(lamp, "30.00", **spec),
                       LineSpec(world.globex_product, "50.00", **spec), email="multi@private.example",
                       created_at=at_time)
    attribute_order(order, now=at_time)
    mark_paid(order, at=at_time)
    world.orders.append(order)
    return world


def add_two_brand_and_direct_orders(world: ReportWorld, *, at_time: datetime) -> None:
    """Paid at ``at_time``: one order holding both brands' products (one order, two product rows) and one
    unattributed order (a row whose creator is NULL)."""
    both = make_order(
        LineSpec(world.acme_product, "100.00", creator=world.creator, page_id=world.guide_id, block_id="blk-a"),
        LineSpec(world.globex_product, "50.00", quantity=2, creator=world.creator, page_id=world.guide_id,
                 block_id="blk-b"),
        email="both@private.example", created_at=at_time)
    direct = make_order(LineSpec(world.acme_product, "100.00"), email="direct@private.example", created_at=at_time)
    for order in (both, direct):
        attribute_order(order, now=at_time)
        mark_paid(order, at=at_time)


def previous_release_rebuild_day(day: date) -> int:
    """The previous release's ``rebuild_day`` for sales: the day's facts replaced, no marks, no daily sums."""
    start, end = day_bounds(day)
    rows = order_line_facts(start, end).values(
        "pk", "day", "order_id", "brand_id", "attributed_creator_id", "attributed_page_id", "attributed_block_id",
        "product_id", "currency", "units", "gmv", "refunds", "commission")
    OrderLineFact.objects.filter(day=day).delete()
    OrderLineFact.objects.bulk_create(
        OrderLineFact(day=row["day"], order_id=row["order_id"], order_line_id=row["pk"], brand_id=row["brand_id"],
                      creator_id=row["attributed_creator_id"], page_id=row["attributed_page_id"],
                      block_id=row["attributed_block_id"], product_id=row["product_id"], currency=row["currency"],
                      units=row["units"], gmv=row["gmv"], refunds=row["refunds"], commission=row["commission"])
        for row in rows)
    return len(rows)


def previous_release_roll_up(monkeypatch, *, now) -> list[date]:
    """A run of the previous release's rollup: it moves the watermarks and ``built_through`` (and the days row's
    ``updated_at``) as this one does; it has no heal and stamps no ``sales_healed`` row."""
    with monkeypatch.context() as patched:
        patched.setattr(rollup, "rebuild_day", previous_release_rebuild_day)
        patched.setattr(rollup, "days_rolled_up_without_marks", lambda today, state: set())
        patched.setattr(rollup, "record_sales_healed", lambda days_mark, healed: None)
        return roll_up(now=now).days_rebuilt
