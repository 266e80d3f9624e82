"""Erasure by anonymisation: nothing left to find, books unchanged, deferred while the shop needs the data."""

from datetime import timedelta
from decimal import Decimal

import pytest

from creators.models import Click, DailyPerformance, OrderLineFact
from creators.reports.exports import to_csv
from creators.reports.queries import ReportFilters, build_report
from creators.reports.rollup import mark_days_changed, roll_up
from creators.services.ledger import balances_by_creator
from privacy.services.erasure import erase_subject, erasure_blockers
from shop.models import Order, OrderStatus, Refund
from tests.creators.report_fixtures import DAY, NOW, build_world
from tests.privacy.helpers import ADA, give_to, scan_for

pytestmark = pytest.mark.django_db

ERASE_AT = DAY + timedelta(days=31)  # past the 30-day refund window of orders paid on DAY


def rollup_rows() -> list[tuple]:
    events = DailyPerformance.objects.values_list(
        "day", "brand_id", "creator_id", "page_id", "block_id", "product_id", "views", "clicks", "add_to_carts")
    lines = OrderLineFact.objects.values_list(
        "day", "order_line_id", "order_id", "brand_id", "creator_id", "page_id", "block_id", "product_id", "units",
        "gmv", "refunds", "commission")
    return sorted(events, key=str) + sorted(lines, key=str)


def books(world) -> tuple:
    filters = [ReportFilters(start=DAY.date(), end=DAY.date(), group_by=group, brand_ids=brands)
               for group in ("creator", "page", "product")
               for brands in (frozenset({world.acme_product.brand_id}), None)]
    return ([to_csv(build_report(f)).encode() for f in filters], balances_by_creator(), rollup_rows())


@pytest.fixture
def ada_world():
    """The report week, in which Ada placed three of the orders (typing her e-mail two ways), one of
    them partly refunded with her phone number in the refund note, all delivered."""
    world = build_world()
    give_to(ADA, world.orders[0], status=OrderStatus.PARTIALLY_REFUNDED)
    give_to(ADA, world.orders[1], email="Ada.Lovelace+shop@Example.COM", status=OrderStatus.FULFILLED)
    give_to(ADA, world.orders[6], status=OrderStatus.FULFILLED)
    Refund.objects.filter(order=world.orders[0]).update(reason=f"Ada Lovelace phoned from {ADA.phone}")
    Click.objects.filter(pk=world.orders[1].lines.get().click_id).update(
        referrer="https://mail.example/?to=ada.lovelace@example.com")
    roll_up(now=NOW)
    return world


def test_after_erasure_no_column_of_any_table_holds_her_email_name_address_or_phone(ada_world):
    assert {name: bool(found) for name, found in scan_for(ADA.traces()).items()} == {
        "email": True, "name": True, "line1": True, "city": True, "postal_code": True, "phone": True}

    result = erase_subject(ADA.subject, now=ERASE_AT)

    assert (result.erased, result.reasons) == (True, [])
    assert scan_for(ADA.traces()) == {name: [] for name in ADA.traces()}


def test_erasure_keeps_country_postal_prefix_totals_ids_and_the_buyer_key(ada_world):
    order = ada_world.orders[1]
    before = Order.objects.get(pk=order.pk)

    erase_subject(ADA.subject, now=ERASE_AT)

    after = Order.objects.get(pk=order.pk)
    assert (after.email, after.shipping_name, after.shipping_line1, after.shipping_line2, after.shipping_city,
            after.shipping_postal_code, after.shipping_country) == (
        f"erased-{order.pk}@erased.invalid", "", "", "", "", "NW1", "GB")
    assert (after.number, after.total, after.status, after.paid_at, after.buyer_key, after.updated_at) == (
        before.number, Decimal("100.00"), OrderStatus.FULFILLED, before.paid_at, ADA.subject.key, before.updated_at)
    assert list(after.lines.values_list("pk", "line_total", "creator_id")) == list(
        before.lines.values_list("pk", "line_total", "creator_id"))


def test_brand_report_csv_creator_balances_and_rollups_are_byte_identical(ada_world):
    before = books(ada_world)

    erase_subject(ADA.subject, now=ERASE_AT)
    mark_days_changed([DAY.date()])  # rebuilt from the anonymised rows
    roll_up(now=NOW + timedelta(days=1))

    assert books(ada_world) == before
    assert before[0][0].startswith(b"Row,Currency,Views")


def test_a_second_erasure_changes_nothing(ada_world):
    erase_subject(ADA.subject, now=ERASE_AT)
    snapshot = list(Order.objects.order_by("pk").values())

    again = erase_subject(ADA.subject, now=ERASE_AT + timedelta(days=1))

    assert (again.erased, again.rows_changed) == (True, 0)
    assert list(Order.objects.order_by("pk").values()) == snapshot


def test_another_buyers_orders_are_untouched(ada_world):
    others = list(Order.objects.exclude(buyer_key=ADA.subject.key).order_by("pk").values())

    erase_subject(ADA.subject, now=ERASE_AT)

    assert list(Order.objects.exclude(buyer_key=ADA.subject.key).order_by("pk").values()) == others
    assert len(others) == 4


def test_erasure_is_deferred_inside_the_refund_window_and_says_until_when(ada_world):
    inside = DAY + timedelta(days=29)

    result = erase_subject(ADA.subject, now=inside)

    numbers = [ada_world.orders[n].number for n in (0, 1, 6)]
    assert (result.erased, result.reasons) == (False, [f"Order {number} can be refunded until 2026-12-20."
                                                       for number in numbers])
    assert Order.objects.get(pk=ada_world.orders[1].pk).email == "Ada.Lovelace+shop@Example.COM"
    assert erasure_blockers(ADA.subject, now=ERASE_AT) == []
