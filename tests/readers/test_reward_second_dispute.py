"""A sharer's reward on a payment disputed more than once (an inquiry closed, then a chargeback under a new
Stripe dispute id): held while any dispute is open, and each lost dispute takes back exactly its own split,
once, whatever order the webhooks come in."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from readers.models import RewardEntry
from readers.services.rewards import lock_matured_rewards, reward_balances
from shop.models import SupplyLineSplit
from shop.payments.webhooks import handle_event
from tests.creators.helpers import INQUIRY_CLOSED, LOST, dispute_event
from tests.readers.reward_helpers import buy_through, share_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_order(guide, lamp):
    """A 40.00 lamp bought through a share a month ago: a 2.00 reward, past the return window."""
    order = buy_through(share_of(guide), lamp, email="friend@example.com", price="40.00",
                        paid_at=timezone.now() - timedelta(days=31))
    return order, RewardEntry.objects.get(order_id=order.pk).reader


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def send(order, sequence, *, dispute_id: str, amount: int, prefix: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            for number, (event_type, status) in enumerate(sequence):
                handle_event(dispute_event(order, event_type=event_type, event_id=f"{prefix}_{number}",
                                           amount=amount, status=status, dispute_id=dispute_id))
    return send


def entries(order) -> list[tuple[str, Decimal, str]]:
    return list(RewardEntry.objects.filter(order_id=order.pk).order_by("pk")
                .values_list("kind", "amount", "source_ref"))


def test_an_inquiry_closed_then_a_chargeback_lost_holds_again_and_takes_back_its_split(shared_order, send):
    order, sharer = shared_order

    send(order, INQUIRY_CLOSED[:2], dispute_id="du_inquiry", amount=4000, prefix="inq")
    assert lock_matured_rewards() == 0
    send(order, INQUIRY_CLOSED[2:], dispute_id="du_inquiry", amount=4000, prefix="inq_closed")
    send(order, LOST[:2], dispute_id="du_chargeback", amount=1000, prefix="cb")
    assert lock_matured_rewards() == 0  # the chargeback holds again

    send(order, LOST[2:], dispute_id="du_chargeback", amount=1000, prefix="cb_lost")

    assert SupplyLineSplit.objects.get(order_line__order=order).amount == Decimal("10.00")
    assert lock_matured_rewards() == 1
    assert entries(order) == [("accrual", Decimal("2.00"), "paid"),
                              ("reversal", Decimal("-0.50"), "dispute:du_chargeback"),
                              ("lock", Decimal("1.50"), "window")]
    balance = reward_balances(sharer)["USD"]
    assert (balance.pending, balance.available) == (Decimal("0.00"), Decimal("1.50"))


def test_out_of_order_and_duplicate_events_of_two_disputes_take_back_once_and_hold_until_both_close(
        shared_order, send):
    order, sharer = shared_order

    send(order, LOST[2:], dispute_id="du_chargeback", amount=1000, prefix="cb_lost")  # the loss first
    send(order, INQUIRY_CLOSED[:1], dispute_id="du_inquiry", amount=4000, prefix="inq")  # another dispute opens
    send(order, LOST[:2], dispute_id="du_chargeback", amount=1000, prefix="cb")  # the loss's opening, late
    send(order, LOST[2:], dispute_id="du_chargeback", amount=1000, prefix="cb_again")  # and its loss twice
    assert lock_matured_rewards() == 0  # the inquiry is still open

    send(order, INQUIRY_CLOSED[2:], dispute_id="du_inquiry", amount=4000, prefix="inq_closed")

    assert lock_matured_rewards() == 1
    assert entries(order) == [("accrual", Decimal("2.00"), "paid"),
                              ("reversal", Decimal("-0.50"), "dispute:du_chargeback"),
                              ("lock", Decimal("1.50"), "window")]
    assert reward_balances(sharer)["USD"].available == Decimal("1.50")


def test_two_lost_disputes_each_take_back_their_own_split(shared_order, send):
    order, sharer = shared_order

    send(order, LOST, dispute_id="du_1", amount=1000, prefix="one")
    send(order, LOST, dispute_id="du_2", amount=2000, prefix="two")

    assert entries(order) == [("accrual", Decimal("2.00"), "paid"),
                              ("reversal", Decimal("-0.50"), "dispute:du_1"),
                              ("reversal", Decimal("-1.00"), "dispute:du_2")]
    assert reward_balances(sharer)["USD"].pending == Decimal("0.50")
