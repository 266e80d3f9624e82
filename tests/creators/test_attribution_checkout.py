"""Attribution decided once (creators), from the raw facts the real checkout stores: voucher over
link, the window from when the last buy link was followed, reports and commissions reading the decision."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from creators.models import Click, LedgerEntry, OrderLineAttribution
from creators.reports.facts import order_line_facts
from shop.attribution import Attribution, buy_path
from shop.models import CartLine, Order, OrderStatus, Voucher
from tests.creators.helpers import ADDRESS, reader
from tests.factories import make_creator, make_guide, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(shop_settings):
    shop_settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 7
    return shop_settings


def buy(client: Client, sku: str, **attribution) -> None:
    response = client.get(buy_path(sku, Attribution(**attribution)))
    assert response["Location"] == "/cart/"


def place_and_pay(client: Client, *, email: str = "ada@example.com", voucher_code: str = "") -> Order:
    response = client.post("/checkout/", {"email": email, "fulfilment": "shipping", "voucher_code": voucher_code,
                                          **ADDRESS})
    order = Order.objects.get(number=response["Location"].strip("/").split("/")[-1])
    assert order.status == OrderStatus.PAID
    return order


def decisions(order: Order) -> list[tuple]:
    return list(OrderLineAttribution.objects.filter(order_id=order.pk).order_by("order_line_id").values_list(
        "creator_id", "page_id", "block_id", "source", "earns_commission", "reason"))


def test_a_creator_voucher_wins_over_another_creators_buy_link_on_every_line(site_tree):
    anna, ben = make_creator("anna"), make_creator("ben")
    guide = make_guide(anna)
    make_product(variants=[("LIP-1", "40.00", 5)])
    make_product(variants=[("TEE-1", "20.00", 5)])
    Voucher.objects.create(code="BEN10", kind="percentage", value=Decimal("10"), creator_id=ben.pk)
    ada = reader()
    buy(ada, "LIP-1", creator_id=anna.pk, page_id=guide.pk, block_id="blk-1")
    buy(ada, "TEE-1")

    order = place_and_pay(ada, voucher_code="ben10")

    lip, tee = order.lines.order_by("pk")
    # The shop keeps the raw facts: Anna's link on the line, Ben's voucher on the order.
    assert (lip.creator_id, lip.page_id, lip.block_id, lip.click_id) == (anna.pk, guide.pk, "blk-1",
                                                                         Click.objects.get().pk)
    assert (tee.creator_id, order.voucher_creator_id) == (None, ben.pk)
    # Creators decide: the voucher wins; Anna's page and block are not Ben's.
    assert decisions(order) == [(ben.pk, None, "", "voucher", True, ""), (ben.pk, None, "", "voucher", True, "")]
    assert list(LedgerEntry.objects.order_by("order_line_id").values_list("creator_id", "amount", "base_amount")) == [
        (ben.pk, Decimal("3.60"), Decimal("36.00")), (ben.pk, Decimal("1.80"), Decimal("18.00"))]
    assert reported_attribution(lip, tee) == [(ben.pk, None, ""), (ben.pk, None, "")]


def test_without_a_voucher_the_buy_link_sells_its_line_only(site_tree):
    anna = make_creator("anna")
    guide = make_guide(anna)
    make_product(variants=[("LIP-1", "40.00", 5)])
    make_product(variants=[("TEE-1", "20.00", 5)])
    ada = reader()
    buy(ada, "LIP-1", creator_id=anna.pk, page_id=guide.pk, block_id="blk-1")
    buy(ada, "TEE-1")

    order = place_and_pay(ada)

    click = Click.objects.get()
    assert decisions(order) == [(anna.pk, guide.pk, "blk-1", "click", True, ""), (None, None, "", "none", False,
                                                                                  "not_attributed")]
    assert OrderLineAttribution.objects.order_by("order_line_id").first().click_id == click.pk
    assert list(LedgerEntry.objects.values_list("creator_id", "amount")) == [(anna.pk, Decimal("4.00"))]
    lip, tee = order.lines.order_by("pk")
    assert reported_attribution(lip, tee) == [(anna.pk, guide.pk, "blk-1"), (None, None, "")]


def reported_attribution(*lines) -> list[tuple]:
    """(creator, page, block) of each line as the brand report sees it (the decided attribution)."""
    now = timezone.now()
    rows = {row["pk"]: (row["attributed_creator_id"], row["attributed_page_id"], row["attributed_block_id"])
            for row in order_line_facts(now - timedelta(days=1), now + timedelta(days=1))
            .filter(pk__in=[line.pk for line in lines])
            .values("pk", "attributed_creator_id", "attributed_page_id", "attributed_block_id")}
    return [rows[line.pk] for line in lines]


def _age_the_cart_links(client: Client, days: int) -> None:
    """Ten days pass: the reader's followed buy links (and their clicks) are that old."""
    cart_id = CartLine.objects.filter(cart__token=client.session["kolshop_cart"]).values("cart_id")
    for line in CartLine.objects.filter(cart_id__in=cart_id):
        CartLine.objects.filter(pk=line.pk).update(attributed_at=line.attributed_at - timedelta(days=days))
        click = Click.objects.get(pk=line.click_id)
        Click.objects.filter(pk=click.pk).update(clicked_at=click.clicked_at - timedelta(days=days))


def test_a_new_buy_link_re_attributes_the_line_with_its_own_time(site_tree):
    anna, ben = make_creator("anna"), make_creator("ben")
    anna_guide, ben_guide = make_guide(anna), make_guide(ben)
    make_product(variants=[("LIP-1", "40.00", 5)])
    ada, cy = reader(), reader(ip="198.51.100.9")
    for client in (ada, cy):
        buy(client, "LIP-1", creator_id=anna.pk, page_id=anna_guide.pk, block_id="anna-blk")
        _age_the_cart_links(client, days=10)  # beyond the 7-day window

    buy(ada, "LIP-1", creator_id=ben.pk, page_id=ben_guide.pk, block_id="ben-blk")  # today
    ada_order = place_and_pay(ada)
    cy_order = place_and_pay(cy, email="cy@example.com")

    ben_click = Click.objects.get(creator=ben)
    line = ada_order.lines.get()
    assert (line.quantity, line.creator_id, line.page_id, line.block_id, line.click_id) == (
        2, ben.pk, ben_guide.pk, "ben-blk", ben_click.pk)
    assert ada_order.created_at - line.attributed_at < timedelta(minutes=1)
    assert decisions(ada_order) == [(ben.pk, ben_guide.pk, "ben-blk", "click", True, "")]
    # Cy only followed Anna's link, ten days ago: outside the window, nobody earns.
    assert decisions(cy_order) == [(None, None, "", "none", False, "outside_window")]
    assert list(LedgerEntry.objects.values_list("creator_id", "order_id", "amount")) == [
        (ben.pk, ada_order.pk, Decimal("8.00"))]


def test_a_creator_buying_through_their_own_buy_link_is_attributed_but_earns_nothing(site_tree):
    anna = make_creator("anna")
    guide = make_guide(anna)
    make_product(variants=[("LIP-1", "40.00", 5)])
    client = reader()
    buy(client, "LIP-1", creator_id=anna.pk, page_id=guide.pk, block_id="blk-1")

    order = place_and_pay(client, email="Anna@example.com")

    assert decisions(order) == [(anna.pk, guide.pk, "blk-1", "click", False, "self_referral")]
    assert LedgerEntry.objects.count() == 0
