"""A payment disputed more than once (Stripe: a new dispute id each time, e.g. an inquiry closed, then a
chargeback): the creator's earnings are held while any dispute is open, closing one never releases another,
and each lost dispute reverses exactly its own split, once, however the webhooks come."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from creators.models import EntryKind, LedgerEntry
from creators.services.ledger import Balance, creator_balances, lock_matured_commissions
from shop.models import Dispute, SupplyLineSplit
from shop.payments.webhooks import handle_event
from tests.creators.helpers import INQUIRY_CLOSED, LOST, dispute_event

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


def send(order, sequence, *, dispute_id: str, amount: int, prefix: str) -> None:
    for number, (event_type, status) in enumerate(sequence):
        handle_event(dispute_event(order, event_type=event_type, event_id=f"{prefix}_{number}", amount=amount,
                                   status=status, dispute_id=dispute_id))


def reversals(order) -> list[tuple[int, Decimal, str]]:
    return [(e.order_line_id, e.amount, e.source_ref)
            for e in LedgerEntry.objects.filter(order_id=order.pk, kind=EntryKind.REVERSAL).order_by("pk")]


def later(settings):
    return timezone.now() + timedelta(days=settings.KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS + 1)


def test_an_inquiry_closed_then_a_chargeback_lost_holds_again_and_reverses_the_chargebacks_split(
        two_brand_order, settings):
    order, _, creator, line_a, line_b = two_brand_order

    send(order, INQUIRY_CLOSED[:2], dispute_id="du_inquiry", amount=11702, prefix="inq")
    assert lock_matured_commissions(now=later(settings)) == 0  # the inquiry holds
    send(order, INQUIRY_CLOSED[2:], dispute_id="du_inquiry", amount=11702, prefix="inq_closed")
    send(order, LOST[:2], dispute_id="du_chargeback", amount=5000, prefix="cb")

    assert reversals(order) == []
    assert lock_matured_commissions(now=later(settings)) == 0  # the chargeback holds again
    assert creator_balances(creator.pk) == {"USD": Balance("USD", Decimal("58.42"), ZERO, ZERO)}

    send(order, LOST[2:], dispute_id="du_chargeback", amount=5000, prefix="cb_lost")

    # 50.00 over 72.03, 39.99 and the 5.00 shipping: 30.78 and 17.09 of the lines, margins 16.42 and 8.54.
    assert reversals(order) == [(line_a.pk, Decimal("-16.42"), "dispute:du_chargeback"),
                                (line_b.pk, Decimal("-8.54"), "dispute:du_chargeback")]
    assert list(Dispute.objects.order_by("pk").values_list("gateway_dispute_id", "status")) == [
        ("du_inquiry", "warning_closed"), ("du_chargeback", "lost")]
    assert lock_matured_commissions(now=later(settings)) == 2
    assert creator_balances(creator.pk) == {"USD": Balance("USD", ZERO, Decimal("33.46"), ZERO)}


def test_closing_one_dispute_does_not_release_another_still_open(two_brand_order, settings):
    order, _, creator, *_ = two_brand_order
    send(order, LOST[:1], dispute_id="du_1", amount=11702, prefix="one")
    send(order, INQUIRY_CLOSED[:1], dispute_id="du_2", amount=11702, prefix="two")

    send(order, [("charge.dispute.closed", "won"), ("charge.dispute.funds_reinstated", "won")], dispute_id="du_1",
         amount=11702, prefix="one_won")

    assert lock_matured_commissions(now=later(settings)) == 0  # du_2 is still open
    send(order, INQUIRY_CLOSED[2:], dispute_id="du_2", amount=11702, prefix="two_closed")
    assert reversals(order) == []
    assert lock_matured_commissions(now=later(settings)) == 2
    assert creator_balances(creator.pk) == {"USD": Balance("USD", ZERO, Decimal("58.42"), ZERO)}


def test_a_loss_arriving_before_its_opening_and_a_late_opening_neither_reverse_twice_nor_hold_again(
        two_brand_order, settings):
    order, _, creator, line_a, line_b = two_brand_order
    send(order, INQUIRY_CLOSED, dispute_id="du_inquiry", amount=11702, prefix="inq")

    send(order, LOST[2:], dispute_id="du_chargeback", amount=5000, prefix="cb_lost")  # the loss first
    send(order, LOST[:2], dispute_id="du_chargeback", amount=5000, prefix="cb")  # then created, funds withdrawn
    send(order, INQUIRY_CLOSED[:1], dispute_id="du_inquiry", amount=11702, prefix="inq_late")  # a late inquiry event

    assert reversals(order) == [(line_a.pk, Decimal("-16.42"), "dispute:du_chargeback"),
                                (line_b.pk, Decimal("-8.54"), "dispute:du_chargeback")]
    assert Dispute.objects.filter(closed_at__isnull=True).count() == 0
    assert lock_matured_commissions(now=later(settings)) == 2
    assert creator_balances(creator.pk) == {"USD": Balance("USD", ZERO, Decimal("33.46"), ZERO)}


def test_a_duplicate_closed_event_reverses_once(two_brand_order):
    order, _, creator, line_a, line_b = two_brand_order

    send(order, LOST, dispute_id="du_1", amount=5000, prefix="first")
    send(order, LOST[2:], dispute_id="du_1", amount=5000, prefix="again")  # Stripe resends under a new event id

    assert reversals(order) == [(line_a.pk, Decimal("-16.42"), "dispute:du_1"),
                                (line_b.pk, Decimal("-8.54"), "dispute:du_1")]
    assert SupplyLineSplit.objects.filter(source_ref="dispute:du_1").count() == 2
    assert creator_balances(creator.pk)["USD"].pending == Decimal("33.46")


def test_two_lost_disputes_each_reverse_their_own_split(two_brand_order):
    order, _, creator, line_a, line_b = two_brand_order

    send(order, LOST, dispute_id="du_1", amount=5000, prefix="one")
    send(order, LOST, dispute_id="du_2", amount=3000, prefix="two")

    # The second 30.00 over what the lines still hold (41.25, 22.90) and the shipping (5.00): 17.90 and 9.93;
    # margins left 12.46 of 22.01 and 6.48 of 11.45.
    assert [(s.order_line_id, s.amount, s.margin_part) for s in SupplyLineSplit.objects.filter(
        source_ref="dispute:du_2").order_by("pk")] == [(line_a.pk, Decimal("17.90"), Decimal("9.55")),
                                                        (line_b.pk, Decimal("9.93"), Decimal("4.97"))]
    assert reversals(order) == [(line_a.pk, Decimal("-16.42"), "dispute:du_1"),
                                (line_b.pk, Decimal("-8.54"), "dispute:du_1"),
                                (line_a.pk, Decimal("-9.55"), "dispute:du_2"),
                                (line_b.pk, Decimal("-4.97"), "dispute:du_2")]
    assert creator_balances(creator.pk)["USD"].pending == Decimal("18.94")


def test_a_dispute_open_before_ids_were_kept_is_closed_by_its_stripe_events(two_brand_order, settings):
    order, _, creator, *_ = two_brand_order
    # What shop 0023 leaves of a dispute opened before it and still open: one legacy row, the order announced.
    Dispute.objects.create(payment=order.payments.get(), gateway_dispute_id=f"legacy-{order.payments.get().pk}",
                           status="legacy_open", amount=Decimal("117.02"), currency="USD")
    assert lock_matured_commissions(now=later(settings)) == 0  # held while it is open

    send(order, [("charge.dispute.closed", "won")], dispute_id="du_old", amount=11702, prefix="old")

    assert list(Dispute.objects.values_list("gateway_dispute_id", "status")) == [("du_old", "won")]
    assert order.events.filter(type="disputed").count() == 0  # announced before the migration, not again
    assert lock_matured_commissions(now=later(settings)) == 2
    assert creator_balances(creator.pk) == {"USD": Balance("USD", ZERO, Decimal("58.42"), ZERO)}
