"""A sharer's reward and disputes, through Stripe's real sequences: held (pending, not locked) while a dispute is
open, untouched when it is won, reversed on a loss by the shop's split of the dispute (the rows the creator
ledger reads), once however often the webhooks come."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from readers.models import RewardEntry
from readers.services.rewards import lock_matured_rewards, reward_balances
from shop.models import SupplyLineSplit
from shop.payments.webhooks import handle_event
from shop.services.refunds import refund_order
from tests.creators.helpers import LOST, WON, dispute_event
from tests.readers.reward_helpers import buy_through, share_of

pytestmark = pytest.mark.django_db


def _send(order, sequence, *, amount: int, capture, prefix: str = "evt") -> None:
    with capture(execute=True):
        for number, (event_type, status) in enumerate(sequence):
            handle_event(dispute_event(order, event_type=event_type, event_id=f"{prefix}_{number}", amount=amount,
                                       status=status))


def _entries(order) -> list[tuple[str, Decimal, str]]:
    return list(RewardEntry.objects.filter(order_id=order.pk).order_by("pk")
                .values_list("kind", "amount", "source_ref"))


def test_a_reward_is_held_while_a_dispute_is_open_and_left_alone_when_it_is_won(
        guide, lamp, django_capture_on_commit_callbacks):
    order = buy_through(share_of(guide), lamp, email="friend@example.com", price="40.00",
                        paid_at=timezone.now() - timedelta(days=31))
    sharer = RewardEntry.objects.get(order_id=order.pk).reader

    _send(order, WON[:2], amount=4000, capture=django_capture_on_commit_callbacks)
    assert lock_matured_rewards() == 0  # held: not available while the dispute is open
    assert reward_balances(sharer)["USD"].pending == Decimal("2.00")

    _send(order, WON[2:], amount=4000, capture=django_capture_on_commit_callbacks, prefix="evt_won")
    assert lock_matured_rewards() == 1
    balance = reward_balances(sharer)["USD"]
    assert (balance.pending, balance.available) == (Decimal("0.00"), Decimal("2.00"))
    assert _entries(order) == [("accrual", Decimal("2.00"), "paid"), ("lock", Decimal("2.00"), "window")]


def test_a_lost_partial_dispute_takes_back_the_reward_on_what_its_split_took_once(
        guide, lamp, django_capture_on_commit_callbacks):
    order = buy_through(share_of(guide), lamp, email="friend@example.com", price="40.00")
    sharer = RewardEntry.objects.get(order_id=order.pk).reader

    _send(order, LOST, amount=1000, capture=django_capture_on_commit_callbacks)
    _send(order, LOST, amount=1000, capture=django_capture_on_commit_callbacks, prefix="evt_again")  # twice

    split = SupplyLineSplit.objects.get(order_line__order=order)
    assert (split.source_ref, split.amount) == ("dispute:dp_1", Decimal("10.00"))
    assert _entries(order) == [("accrual", Decimal("2.00"), "paid"), ("reversal", Decimal("-0.50"), "dispute:dp_1")]
    assert reward_balances(sharer)["USD"].pending == Decimal("1.50")

    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order)  # what the dispute left: the reward ends at nothing, never below
    assert reward_balances(sharer)["USD"].pending == Decimal("0.00")
