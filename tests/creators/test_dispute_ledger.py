"""Disputes and the creator ledger: nothing is reversed while a dispute is open (the earnings are held), a won
dispute leaves the ledger as it was, a lost one reverses exactly what the shop's split says it took."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from creators.models import EntryKind, LedgerEntry
from creators.services.ledger import Balance, accrue_commission, creator_balances, lock_matured_commissions
from shop.models import Dispute, SupplyLineSplit
from shop.payments.webhooks import handle_event
from shop.services.refunds import refund_order
from tests.creators.helpers import LOST, WON, LineSpec, dispute_event, make_order, mark_paid
from tests.factories import make_creator, make_product

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


def send(order, sequence, *, amount: int, first_id: int = 0) -> None:
    for number, (event_type, status) in enumerate(sequence, start=first_id):
        handle_event(dispute_event(order, event_type=event_type, event_id=f"evt_{number}", amount=amount,
                                   status=status))


def reversals(order) -> list[tuple[int, Decimal, str]]:
    return [(e.order_line_id, e.amount, e.source_ref)
            for e in LedgerEntry.objects.filter(order_id=order.pk, kind=EntryKind.REVERSAL).order_by("pk")]


def margin_parts(order, source_ref: str) -> list[tuple[int, Decimal]]:
    return [(s.order_line_id, -s.margin_part) for s in SupplyLineSplit.objects.filter(
        order_line__order=order, source_ref=source_ref).order_by("pk")]


def window_passed(settings) -> timezone.datetime:
    return timezone.now() + timedelta(days=settings.KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS + 1)


def test_a_won_dispute_leaves_the_ledger_as_it_was(two_brand_order, settings):
    order, _, creator, *_ = two_brand_order

    send(order, WON, amount=11702)

    assert reversals(order) == []
    assert creator_balances(creator.pk) == {"USD": Balance("USD", Decimal("58.42"), ZERO, ZERO)}
    assert list(Dispute.objects.values_list("gateway_dispute_id", "status")) == [("dp_1", "won")]
    assert Dispute.objects.get().closed_at is not None
    assert lock_matured_commissions(now=window_passed(settings)) == 2  # the hold ended with the win
    assert creator_balances(creator.pk) == {"USD": Balance("USD", ZERO, Decimal("58.42"), ZERO)}


def test_earnings_are_held_pending_while_a_dispute_is_open(two_brand_order, settings):
    order, _, creator, *_ = two_brand_order

    send(order, WON[:2], amount=11702)  # created, funds withdrawn: open

    assert reversals(order) == []
    assert lock_matured_commissions(now=window_passed(settings)) == 0
    assert creator_balances(creator.pk) == {"USD": Balance("USD", Decimal("58.42"), ZERO, ZERO)}

    send(order, WON[2:], amount=11702, first_id=2)
    assert lock_matured_commissions(now=window_passed(settings)) == 2


def test_a_lost_dispute_reverses_exactly_the_margins_of_its_split(two_brand_order):
    order, _, creator, line_a, line_b = two_brand_order

    send(order, LOST, amount=11702)

    assert reversals(order) == [(line_a.pk, Decimal("-38.43"), "dispute:dp_1"),
                                (line_b.pk, Decimal("-19.99"), "dispute:dp_1")]
    assert margin_parts(order, "dispute:dp_1") == [(line_a.pk, Decimal("-38.43")), (line_b.pk, Decimal("-19.99"))]
    assert creator_balances(creator.pk) == {"USD": Balance("USD", ZERO, ZERO, ZERO)}


def test_a_partial_lost_dispute_reverses_the_splits_margin_parts(two_brand_order):
    order, _, creator, line_a, line_b = two_brand_order

    send(order, LOST, amount=5000)

    # 50.00 over 72.03, 39.99 and the 5.00 shipping: 30.78 and 17.09 of the lines, margins 16.42 and 8.54.
    assert reversals(order) == [(line_a.pk, Decimal("-16.42"), "dispute:dp_1"),
                                (line_b.pk, Decimal("-8.54"), "dispute:dp_1")]
    assert margin_parts(order, "dispute:dp_1") == [(line_a.pk, Decimal("-16.42")), (line_b.pk, Decimal("-8.54"))]
    assert creator_balances(creator.pk)["USD"].pending == Decimal("33.46")


def test_webhooks_late_and_twice_reverse_once_and_end_the_hold_once(two_brand_order, settings):
    order, _, creator, line_a, line_b = two_brand_order

    send(order, [("charge.dispute.closed", "lost")], amount=5000)  # the loss arrives first
    send(order, LOST, amount=5000, first_id=1)  # then everything, the loss a second time
    dispute = Dispute.objects.get()

    assert reversals(order) == [(line_a.pk, Decimal("-16.42"), "dispute:dp_1"),
                                (line_b.pk, Decimal("-8.54"), "dispute:dp_1")]
    assert SupplyLineSplit.objects.filter(source_ref="dispute:dp_1").count() == 2
    assert (dispute.status, dispute.closed_at, dispute.lost_at) == ("lost", dispute.lost_at, dispute.closed_at)
    assert dispute.closed_at is not None
    assert lock_matured_commissions(now=window_passed(settings)) == 2  # the late "created" did not hold it again
    assert creator_balances(creator.pk) == {"USD": Balance("USD", ZERO, Decimal("33.46"), ZERO)}


def test_a_refund_then_a_lost_dispute_then_a_refund_reverse_each_splits_margin_part(two_brand_order):
    order, _, creator, line_a, line_b = two_brand_order
    first = refund_order(order, quantities={line_a.pk: 1})
    send(order, LOST, amount=3001)
    second = refund_order(order, quantities={line_a.pk: 2, line_b.pk: 1})

    by_cause = {}
    for line_id, amount, source_ref in reversals(order):
        by_cause.setdefault(source_ref, []).append((line_id, amount))
    assert set(by_cause) == {f"refund:{first.pk}", "dispute:dp_1", f"refund:{second.pk}"}
    for source_ref, entries in by_cause.items():
        assert entries == margin_parts(order, source_ref)
    assert creator_balances(creator.pk)["USD"].pending == ZERO  # everything went back, to the cent


def test_an_ordinary_commission_comes_down_by_its_lines_part_of_a_lost_dispute(site_tree):
    anna = make_creator("anna")  # 10 %
    order = mark_paid(make_order(LineSpec(make_product(), unit_price="60.00", creator=anna),
                                 LineSpec(make_product(), unit_price="40.00", creator=anna)))
    accrue_commission(order)
    first, second = order.lines.order_by("pk")

    send(order, LOST, amount=2500)

    # 25.00 over 60.00 and 40.00: 15.00 and 10.00; commission on what is left: 4.50 and 3.00.
    assert [(s.order_line_id, s.amount, s.wholesale_part, s.margin_part, s.fee_part)
            for s in SupplyLineSplit.objects.filter(order_line__order=order)] == [
        (first.pk, Decimal("15.00"), ZERO, ZERO, Decimal("15.00")),
        (second.pk, Decimal("10.00"), ZERO, ZERO, Decimal("10.00"))]
    assert reversals(order) == [(first.pk, Decimal("-1.50"), "dispute:dp_1"),
                                (second.pk, Decimal("-1.00"), "dispute:dp_1")]
    assert creator_balances(anna.pk)["USD"].pending == Decimal("7.50")


def test_an_ordinary_commission_is_held_during_a_dispute_and_untouched_when_it_is_won(site_tree, settings):
    anna = make_creator("anna")
    order = mark_paid(make_order(LineSpec(make_product(), unit_price="60.00", creator=anna)))
    accrue_commission(order)

    send(order, WON[:2], amount=6000)
    assert lock_matured_commissions(now=window_passed(settings)) == 0
    send(order, WON[2:], amount=6000, first_id=2)

    assert reversals(order) == []
    assert lock_matured_commissions(now=window_passed(settings)) == 1
    assert creator_balances(anna.pk) == {"USD": Balance("USD", ZERO, Decimal("6.00"), ZERO)}
