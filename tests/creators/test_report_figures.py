"""Report figures through the real checkout: multi-line, multi-brand, restarted and cancelled
checkouts; orders counted once per row and once in the total, never above their clicks."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from creators.models import LinkTarget, TrackedLink
from creators.reports.queries import OTHER_LABEL, ReportFilters, build_report
from creators.reports.rollup import roll_up
from creators.services.links import create_tracked_link, record_click
from creators.services.reports import earnings_by_page_and_block
from shop.models import Cart, Order, OrderStatus
from shop.services.checkout import confirm_payment
from shop.services.expiry import release_expired_reservations
from tests.creators.helpers import READER_AGENT, follow_and_add
from tests.factories import make_brand, make_creator, make_guide, make_product, product_card
from tests.shop.helpers import checkout

pytestmark = pytest.mark.django_db
FIGURES = ("clicks", "add_to_carts", "orders", "units", "gmv", "refunds", "net_gmv", "conversion_rate", "epc",
           "commission")


@dataclass
class Baskets:
    acme_id: int
    globex_id: int
    creator_id: int
    guide_id: int
    links: dict[str, TrackedLink]
    replaced: Order
    cancelled: Order


def figures(row) -> dict:
    return {name: getattr(row, name) for name in FIGURES}


def money(value: str) -> Decimal:
    return Decimal(value)


def build_baskets() -> Baskets:
    """Today, on Mia's guide: five readers buy a speaker and two cables (Acme), two of them a tent
    (Globex) in the same order; a sixth restarts checkout once and pays; a seventh abandons (the
    hold expires); two more only click. Commission is Mia's default 10 %."""
    acme, globex = make_brand("Acme Audio"), make_brand("Globex Gear")
    speaker = make_product(brand=acme, title="Acme Speaker", variants=[("ACME-SPK", "100.00", 50)])
    cable = make_product(brand=acme, title="Acme Cable", variants=[("ACME-CBL", "20.00", 50)])
    tent = make_product(brand=globex, title="Globex Tent", variants=[("GLBX-TNT", "50.00", 50)])
    mia = make_creator("mia")
    guide = make_guide(mia, title="Desk and tent", slug="desk",
                       body=[product_card(speaker), product_card(cable), product_card(tent)])
    links = {name: create_tracked_link(mia, target_kind=LinkTarget.PRODUCT, product=product, page=guide,
                                       block_id=f"blk-{name}", code=f"mia-{name}")
             for name, product in (("speaker", speaker), ("cable", cable), ("tent", tent))}
    for reader in range(1, 6):
        cart = Cart.objects.create()
        follow_and_add(cart, links["speaker"], "ACME-SPK", 1, reader=reader)
        follow_and_add(cart, links["cable"], "ACME-CBL", 2, reader=reader)
        if reader <= 2:
            follow_and_add(cart, links["tent"], "GLBX-TNT", 1, reader=reader)
        confirm_payment(checkout(cart, email=f"reader{reader}@private.example").order)
    cart = Cart.objects.create()
    follow_and_add(cart, links["speaker"], "ACME-SPK", 1, reader=6)
    replaced = checkout(cart, email="reader6@private.example").order
    confirm_payment(checkout(cart, email="reader6@private.example").order)  # restarted: the first is replaced
    cart = Cart.objects.create()
    follow_and_add(cart, links["cable"], "ACME-CBL", 1, reader=7)
    cancelled = checkout(cart, email="reader7@private.example").order
    release_expired_reservations(now=timezone.now() + timedelta(hours=2))
    for reader in (8, 9):
        record_click(links["speaker"], ip=f"203.0.113.{reader}", user_agent=READER_AGENT)
    return Baskets(acme.pk, globex.pk, mia.pk, guide.pk, links, Order.objects.get(pk=replaced.pk),
                   Order.objects.get(pk=cancelled.pk))


@pytest.fixture
def baskets(shop_settings, site_tree):
    return build_baskets()


def report(baskets: Baskets, group_by: str, *, brand: int | None | str = "acme"):
    today = timezone.now().date()
    brand_ids = None if brand is None else frozenset({baskets.acme_id if brand == "acme" else brand})
    return build_report(ReportFilters(start=today, end=today, group_by=group_by, brand_ids=brand_ids))


ACME = {
    "clicks": 14, "add_to_carts": 12, "orders": 6, "units": 16, "gmv": money("800.00"), "refunds": money("0.00"),
    "net_gmv": money("800.00"), "conversion_rate": money("42.86"), "epc": money("5.71"), "commission": money("80.00"),
}


def test_the_checkouts_left_one_replaced_and_one_cancelled_order(baskets):
    assert (baskets.replaced.status, baskets.cancelled.status) == (OrderStatus.CANCELLED, OrderStatus.CANCELLED)
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 6


@pytest.mark.parametrize("rolled_up", [False, True])
def test_an_order_with_two_products_counts_once_per_creator_page_day_and_total(baskets, rolled_up):
    if rolled_up:
        roll_up(now=timezone.now() + timedelta(days=1))

    for group_by in ("creator", "page", "day"):
        result = report(baskets, group_by)
        assert [figures(row) for row in result.rows] == [ACME], group_by
        assert figures(result.totals[0]) == ACME, group_by


@pytest.mark.parametrize("rolled_up", [False, True])
def test_an_order_with_two_products_counts_once_in_each_product_and_block_row(baskets, rolled_up):
    if rolled_up:
        roll_up(now=timezone.now() + timedelta(days=1))

    by_product = report(baskets, "product")
    by_block = report(baskets, "block")

    speaker = {"clicks": 8, "add_to_carts": 6, "orders": 6, "units": 6, "gmv": money("600.00"),
               "refunds": money("0.00"), "net_gmv": money("600.00"), "conversion_rate": money("75.00"),
               "epc": money("7.50"), "commission": money("60.00")}
    cable = {"clicks": 6, "add_to_carts": 6, "orders": 5, "units": 10, "gmv": money("200.00"),
             "refunds": money("0.00"), "net_gmv": money("200.00"), "conversion_rate": money("83.33"),
             "epc": money("3.33"), "commission": money("20.00")}
    assert {row.label: figures(row) for row in by_product.rows} == {"Acme Speaker": speaker, "Acme Cable": cable}
    assert figures(by_product.totals[0]) == ACME  # 6 orders, not 6 + 5
    assert {row.key: figures(row) for row in by_block.rows} == {
        (baskets.guide_id, "blk-speaker"): speaker, (baskets.guide_id, "blk-cable"): cable}
    assert figures(by_block.totals[0]) == ACME


@pytest.mark.parametrize("rolled_up", [False, True])
def test_each_brand_sees_only_its_own_lines_of_a_shared_order(baskets, rolled_up):
    if rolled_up:
        roll_up(now=timezone.now() + timedelta(days=1))

    globex = report(baskets, "product", brand=baskets.globex_id)
    everyone = report(baskets, "creator", brand=None)

    # two orders: folded, and the folded row counts them as the total does
    assert [(row.label, row.orders, row.units, row.gmv, row.clicks) for row in globex.rows] == [
        (OTHER_LABEL, 2, 2, money("100.00"), 2)]
    assert (globex.totals[0].orders, globex.totals[0].gmv, globex.totals[0].conversion_rate) == (
        2, money("100.00"), money("100.00"))
    [mia] = everyone.rows
    assert (mia.orders, mia.units, mia.gmv, mia.clicks, mia.conversion_rate) == (
        6, 18, money("900.00"), 16, money("37.50"))


def test_my_earnings_counts_paid_orders_only(baskets):
    rows = {row.block_id: row for row in earnings_by_page_and_block(baskets.creator_id)}

    assert {block: (row.clicks, row.orders, row.conversion_rate) for block, row in rows.items()} == {
        "blk-speaker": (8, 6, money("75.00")),  # the replaced checkout is not a second order
        "blk-cable": (6, 5, money("83.33")),  # the abandoned (cancelled) order does not count
        "blk-tent": (2, 2, money("100.00")),
    }


def test_after_the_demo_every_sale_has_its_click_and_conversion_is_at_most_100_percent():
    from django.core.management import call_command

    call_command("load_demo")

    today = timezone.now().date()
    result = build_report(ReportFilters(start=today, end=today, group_by="creator"))
    total = result.totals[0]
    assert (total.orders, total.clicks, total.conversion_rate) == (18, 18, money("100.00"))
    assert all(row.conversion_rate is None or row.conversion_rate <= 100 for row in result.rows)
