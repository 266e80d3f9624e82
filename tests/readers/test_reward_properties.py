"""Property: for any orders, refunds, disputes, locks and redemptions, a sharer's balance is the sum of
their entries, each order's reward is rate × what is left of it, and the creator's ledger on a shared
order is, to the cent, the ledger of the same order bought without any share."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from creators.models import LedgerEntry
from readers.models import RewardEntry
from readers.services.rewards import lock_matured_rewards, redeem_rewards, reward_balances
from shop import events
from shop.errors import Conflict
from shop.models import OrderLine
from shop.money import quantize
from tests.creators.helpers import refund_lines
from tests.factories import make_creator, make_guide, make_product
from tests.readers.reward_helpers import buy_through, pay_order, share_of

pytestmark = pytest.mark.django_db

prices = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("500.00"), places=2)
steps = st.lists(st.tuples(st.sampled_from(["refund", "dispute", "lock", "redeem"]), st.integers(0, 9),
                           st.integers(1, 100)), max_size=8)


@pytest.fixture
def shop_floor(site_tree, settings):
    settings.KOLSHOP_READER_REWARD_RULES = {"self_purchase": True, "new_buyers_only": True, "minimum_order": None,
                                            "per_sharer_per_30_days": None, "per_visitor_per_day": None}
    guide = make_guide(make_creator("maya"), title="Desk lamps")
    return guide, make_product(title="Arc lamp", variants=[("ARC-1", "40.00", 10_000)])


def _ledger(order) -> list[tuple[str, Decimal]]:
    return list(LedgerEntry.objects.filter(order_id=order.pk).order_by("pk").values_list("kind", "amount"))


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order_prices=st.lists(prices, min_size=1, max_size=3), actions=steps)
def test_balances_are_sums_of_entries_and_creator_commission_is_untouched(shop_floor, order_prices, actions):
    guide, lamp = shop_floor
    run = RewardEntry.objects.count() + LedgerEntry.objects.count()
    link = share_of(guide, f"sharer{run}@example.com")
    paid_at = timezone.now() - timedelta(days=60)
    pairs = []
    for n, price in enumerate(order_prices):
        shared = buy_through(link, lamp, email=f"friend{run}-{n}@example.com", price=str(price), paid_at=paid_at)
        twin = buy_through(link, lamp, email=f"twin{run}-{n}@example.com", price=str(price), pay=False)
        OrderLine.objects.filter(order=twin).update(click_id=None)
        pairs.append((shared, pay_order(twin, at=paid_at)))
    sharer = RewardEntry.objects.filter(order_id=pairs[0][0].pk).get(kind="accrual").reader
    disputed = set()
    for action, index, percent in actions:
        shared, twin = pairs[index % len(pairs)]
        if action == "lock":
            lock_matured_rewards()
        elif action == "redeem":
            try:
                redeem_rewards(sharer, currency="USD")
            except Conflict:
                pass
        elif action == "dispute" and shared.pk not in disputed:
            for order in (shared, twin):  # lost, for all the payment still held
                events.order_chargeback.send(order=order, dispute_id=f"dp_{order.pk}", amount=order.total)
            disputed.add(shared.pk)
        elif action == "refund" and shared.pk not in disputed:
            line = shared.lines.get()
            left = line.line_total - line.refunded_amount
            amount = quantize(left * percent / 100)
            if amount > 0:
                for order in (shared, twin):
                    refund = refund_lines(order, {order.lines.get().pk: str(amount)})
                    events.order_refunded.send(order=order, refund=refund)

    entries = list(RewardEntry.objects.filter(reader=sharer))
    total = {kind: sum((e.amount for e in entries if e.kind == kind), Decimal("0")) for kind in
             ("accrual", "reversal", "lock", "redemption")}
    balance = reward_balances(sharer).get("USD")
    assert balance.pending == total["accrual"] + total["reversal"] - total["lock"]
    assert balance.available == total["lock"] - total["redemption"]
    assert balance.redeemed == total["redemption"]
    for shared, twin in pairs:
        line = shared.lines.get()
        earned = sum((e.amount for e in entries if e.order_id == shared.pk and e.kind in ("accrual", "reversal")),
                     Decimal("0"))
        left = Decimal("0") if shared.pk in disputed else line.line_total - line.refunded_amount
        assert earned == quantize(Decimal("0.05") * left)
        assert _ledger(shared) == _ledger(twin)
