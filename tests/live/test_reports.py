"""A session's report, from order lines and their attribution: totals, per pinned product, per flash deal;
refunds settle into it; a brand sees its own products only; unpaid and other pages' orders never count."""

from decimal import Decimal

import pytest
from django.utils import timezone

from content.live.reports import MoneyFigures, session_report
from content.live.services import pin_product, start_flash_deal, start_session
from shop.attribution import Attribution
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment
from shop.services.refunds import refund_order
from tests.factories import make_brand, make_creator, make_product
from tests.live.helpers import flash, make_session
from tests.shop.helpers import cart_with, checkout

pytestmark = pytest.mark.django_db


def _paid(cart, *, email: str = "ada@example.com"):
    return confirm_payment(checkout(cart, email=email).order)


def _session_with_sales(shop_settings):
    """Two brands' products in one session: a deal on the lipstick, a buy-link sale of each, an unpaid order."""
    creator = make_creator("rex")
    glow, dew = make_brand("Glow"), make_brand("Dew")
    lipstick = make_product(title="Lipstick", brand=glow, variants=[("LIP-1", "20.00", 50)])
    serum = make_product(title="Serum", brand=dew, variants=[("SER-1", "30.00", 50)])
    page = make_session(creator, products=[lipstick, serum])
    start_session(page)
    pin_product(page, product_id=lipstick.pk)
    deal = start_flash_deal(page, deal=flash(lipstick.variants.get(), price="12.00", unit_cap=10,
                                             per_buyer_limit=3)).promotion
    pin_product(page, product_id=serum.pk)
    from_page = Attribution(creator.pk, page.pk, "", None)

    deal_cart = cart_with()
    add_to_cart(deal_cart, sku="LIP-1", quantity=3, promotion_id=deal.pk)
    deal_order = _paid(deal_cart, email="ada@example.com")                            # 3 × 12.00 at the deal
    _paid(cart_with(("LIP-1", 1), ("SER-1", 2), attribution=from_page), email="bo@example.com")  # 20 + 60
    checkout(cart_with(("SER-1", 1), attribution=from_page), email="cy@example.com")  # unpaid: never counts
    _paid(cart_with(("SER-1", 1)), email="di@example.com")                             # another page's sale
    return page, deal, deal_order, glow, dew


def test_the_report_counts_paid_lines_of_the_session_per_pin_and_per_deal(shop_settings):
    page, deal, _, _, _ = _session_with_sales(shop_settings)

    report = session_report(page)

    totals = report.totals
    assert (totals.orders, totals.units, totals.money) == (
        2, 6, (MoneyFigures("USD", Decimal("116.00"), Decimal("0.00")),))
    assert totals.in_currency("USD").net_gmv == Decimal("116.00")
    assert report.pins == 2
    assert [(row.title, row.pins, row.figures.orders, row.figures.units, row.figures.in_currency("USD").gmv)
            for row in report.pinned_products] == [
        ("Lipstick", 1, 2, 4, Decimal("56.00")), ("Serum", 1, 1, 2, Decimal("60.00"))]
    assert [(row.promotion_id, row.sku, row.figures.orders, row.figures.units, row.figures.in_currency("USD").gmv,
             row.sell_through) for row in report.flash_deals] == [
        (deal.pk, "LIP-1", 1, 3, Decimal("36.00"), Decimal("30.00"))]


def test_a_settled_refund_shows_in_the_report_at_once(shop_settings):
    page, deal, deal_order, _, _ = _session_with_sales(shop_settings)

    refund_order(deal_order, quantities={deal_order.lines.get().pk: 1})
    report = session_report(page)

    usd = report.totals.in_currency("USD")
    assert (report.totals.orders, report.totals.units, usd.gmv, usd.refunds, usd.net_gmv) == (
        2, 6, Decimal("116.00"), Decimal("12.00"), Decimal("104.00"))
    deal_money = report.flash_deals[0].figures.in_currency("USD")
    assert (deal_money.refunds, deal_money.net_gmv) == (Decimal("12.00"), Decimal("24.00"))


def test_a_brand_sees_its_own_products_only(shop_settings):
    page, deal, _, glow, dew = _session_with_sales(shop_settings)

    glow_report = session_report(page, brand_ids=frozenset({glow.pk}))
    dew_report = session_report(page, brand_ids=frozenset({dew.pk}))

    assert (glow_report.totals.orders, glow_report.totals.units, glow_report.totals.in_currency("USD").gmv) == (
        2, 4, Decimal("56.00"))
    assert [row.title for row in glow_report.pinned_products] == ["Lipstick"]
    assert [row.promotion_id for row in glow_report.flash_deals] == [deal.pk]
    assert (dew_report.totals.orders, dew_report.totals.units, dew_report.totals.in_currency("USD").gmv) == (
        1, 2, Decimal("60.00"))
    assert [row.title for row in dew_report.pinned_products] == ["Serum"]
    assert dew_report.flash_deals == []


def test_a_session_without_sales_reports_zeros(shop_settings):
    page = make_session(products=[make_product(title="Lipstick", variants=[("LIP-1", "20.00", 5)])])

    report = session_report(page, now=timezone.now())

    assert (report.totals.orders, report.totals.units, report.totals.money, report.pins) == (0, 0, (), 0)
    assert (report.viewers.peak, report.viewers.unique, report.conversion) == (0, 0, None)
    assert (report.pinned_products, report.flash_deals) == ([], [])
