"""A session's report, from order lines and their attribution: totals, per pinned product, per flash deal;
refunds settle into it; a brand sees its own products only; unpaid and other pages' orders never count."""

from decimal import Decimal

import pytest
from django.utils import timezone

from content.live.reports import MoneyFigures, session_report
from shop.services.refunds import refund_order
from tests.factories import make_product
from tests.live.helpers import make_session, session_with_sales

pytestmark = pytest.mark.django_db


def test_the_report_counts_paid_lines_of_the_session_per_pin_and_per_deal(shop_settings):
    page, deal, _, _, _ = session_with_sales(shop_settings)

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
    page, deal, deal_order, _, _ = session_with_sales(shop_settings)

    refund_order(deal_order, quantities={deal_order.lines.get().pk: 1})
    report = session_report(page)

    usd = report.totals.in_currency("USD")
    assert (report.totals.orders, report.totals.units, usd.gmv, usd.refunds, usd.net_gmv) == (
        2, 6, Decimal("116.00"), Decimal("12.00"), Decimal("104.00"))
    deal_money = report.flash_deals[0].figures.in_currency("USD")
    assert (deal_money.refunds, deal_money.net_gmv) == (Decimal("12.00"), Decimal("24.00"))


def test_a_brand_sees_its_own_products_only(shop_settings):
    page, deal, _, glow, dew = session_with_sales(shop_settings)

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
