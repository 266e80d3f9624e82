"""Rewards: accrued when a shared order is paid, reversed on refunds, locked after the return window,
redeemed as a single-use voucher; each fraud rule refuses with its reason."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from creators.models import LedgerEntry
from readers.models import RefusalReason, RewardEntry, RewardRefusal
from readers.services.rewards import lock_matured_rewards, redeem_rewards, reward_balances
from shop import events
from shop.errors import Conflict
from shop.models import OrderLine, Voucher
from shop.services.vouchers import validate_voucher
from tests.creators.helpers import refund_lines
from tests.readers.helpers import post_json, sign_in
from tests.readers.reward_helpers import buy_through, pay_order, share_of

pytestmark = pytest.mark.django_db


def _commission(order) -> list[tuple[str, Decimal]]:
    return list(LedgerEntry.objects.filter(order_id=order.pk).order_by("pk").values_list("kind", "amount"))


def test_a_shared_order_earns_the_sharer_a_reward_and_leaves_the_creators_commission_alone(guide, lamp):
    link = share_of(guide)
    shared = buy_through(link, lamp, email="friend@example.com", price="40.00", quantity=2)
    direct = buy_through(share_of(guide, "other@example.com"), lamp, email="second@example.com", price="40.00",
                         quantity=2, pay=False)
    # The same order bought straight from the creator's buy link (no share click anywhere):
    OrderLine.objects.filter(order=direct).update(click_id=None)
    pay_order(direct)

    entry = RewardEntry.objects.get()
    assert (entry.kind, entry.amount, entry.currency, entry.order_id, entry.link_id) == (
        "accrual", Decimal("4.00"), "USD", shared.pk, link.pk)
    assert _commission(shared) == _commission(direct) != []
    assert reward_balances(entry.reader)["USD"].pending == Decimal("4.00")


def test_each_fraud_rule_refuses_with_its_reason(guide, lamp, settings):
    link = share_of(guide, "Sharer@Example.com")
    # The sharer bought before (through someone else's share), at this address:
    earlier = buy_through(share_of(guide, "x@example.com"), lamp, email="sharer@example.com", shipping_line1="1 Main St",
                shipping_postal_code="12345", shipping_country="US")

    own = buy_through(link, lamp, email="SHARER@example.com")
    same_address = buy_through(link, lamp, email="flatmate@example.com", shipping_line1="1 main st ",
                               shipping_postal_code="12345", shipping_country="US")
    small = buy_through(link, lamp, email="small@example.com", price="10.00")
    buy_through(link, lamp, email="repeat@example.com", pay=False)
    returning = buy_through(link, lamp, email="repeat@example.com")
    rewarded = buy_through(link, lamp, email="new@example.com", ip="198.51.100.240")
    same_visitor = buy_through(link, lamp, email="again@example.com", ip="198.51.100.240")
    link.active = False
    link.save()
    blocked = buy_through(link, lamp, email="late@example.com")

    refusals = dict(RewardRefusal.objects.values_list("order_id", "reason"))
    assert refusals == {own.pk: RefusalReason.SELF_PURCHASE, same_address.pk: RefusalReason.SELF_PURCHASE,
                        small.pk: RefusalReason.BELOW_MINIMUM, returning.pk: RefusalReason.RETURNING_BUYER,
                        same_visitor.pk: RefusalReason.VISITOR_CAP, blocked.pk: RefusalReason.LINK_BLOCKED}
    assert list(RewardEntry.objects.values_list("order_id", flat=True)) == [earlier.pk, rewarded.pk]


def test_the_sharer_cap_counts_rewards_over_30_days(guide, lamp, settings):
    settings.KOLSHOP_READER_REWARD_RULES = {**settings.KOLSHOP_READER_REWARD_RULES, "per_sharer_per_30_days": 2}
    link = share_of(guide)
    orders = [buy_through(link, lamp, email=f"friend{n}@example.com") for n in range(3)]

    assert RewardEntry.objects.filter(kind="accrual").count() == 2
    assert RewardRefusal.objects.get().order_id == orders[2].pk
    assert RewardRefusal.objects.get().reason == RefusalReason.SHARER_CAP


def test_rules_can_be_turned_off(guide, lamp, settings):
    settings.KOLSHOP_READER_REWARD_RULES = {"self_purchase": False, "new_buyers_only": False, "minimum_order": None,
                                            "per_sharer_per_30_days": None, "per_visitor_per_day": None}
    link = share_of(guide)
    buy_through(link, lamp, email="sharer@example.com", price="5.00")

    assert RewardEntry.objects.get().amount == Decimal("0.25")


def test_a_refund_after_the_lock_reverses_the_available_reward(guide, lamp):
    link = share_of(guide)
    paid_at = timezone.now() - timedelta(days=31)
    order = buy_through(link, lamp, email="friend@example.com", price="40.00", quantity=2, paid_at=paid_at)
    assert lock_matured_rewards() == 1
    sharer = RewardEntry.objects.get(kind="accrual").reader
    assert reward_balances(sharer)["USD"].available == Decimal("4.00")

    refund = refund_lines(order, {order.lines.get().pk: "40.00"})
    events.order_refunded.send(order=order, refund=refund)
    events.order_refunded.send(order=order, refund=refund)  # a duplicate webhook

    balance = reward_balances(sharer)["USD"]
    assert (balance.pending, balance.available, balance.redeemed) == (Decimal("0.00"), Decimal("2.00"), Decimal("0.00"))
    assert list(RewardEntry.objects.order_by("pk").values_list("kind", "amount", "source_ref")) == [
        ("accrual", Decimal("4.00"), "paid"), ("lock", Decimal("4.00"), "window"),
        ("reversal", Decimal("-2.00"), f"refund:{refund.pk}"), ("lock", Decimal("-2.00"), f"refund:{refund.pk}")]
    assert lock_matured_rewards() == 0


def test_an_available_reward_becomes_one_single_use_voucher(guide, lamp):
    link = share_of(guide)
    buy_through(link, lamp, email="friend@example.com", price="60.00", paid_at=timezone.now() - timedelta(days=31))
    sharer = RewardEntry.objects.get().reader
    with pytest.raises(Conflict):
        redeem_rewards(sharer, currency="USD")  # still pending
    lock_matured_rewards()

    voucher = redeem_rewards(sharer, currency="USD")

    assert (voucher.kind, voucher.value, voucher.currency, voucher.usage_limit) == ("fixed", Decimal("3.00"), "USD", 1)
    validate_voucher(voucher, email="sharer@example.com", currency="USD")
    balance = reward_balances(sharer)["USD"]
    assert (balance.pending, balance.available, balance.redeemed) == (Decimal("0.00"), Decimal("0.00"), Decimal("3.00"))
    with pytest.raises(Conflict):
        redeem_rewards(sharer, currency="USD")
    assert Voucher.objects.count() == 1


def test_entries_are_append_only(guide, lamp):
    buy_through(share_of(guide), lamp, email="friend@example.com")
    entry = RewardEntry.objects.get()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        RewardEntry.objects.update(amount=0)
    with pytest.raises(TypeError):
        RewardEntry.objects.all().delete()


def test_the_rewards_api_shows_balances_and_redeems(client, ask, guide, lamp, django_assert_num_queries):
    buy_through(share_of(guide, "ada@example.com"), lamp, email="friend@example.com",
                paid_at=timezone.now() - timedelta(days=31))
    sign_in(client, ask, "ada@example.com")
    client.get("/api/v1/account/rewards")  # warm-up
    with django_assert_num_queries(3):  # session, reader, one aggregate
        before = client.get("/api/v1/account/rewards").json()
    too_soon = post_json(client, "/api/v1/account/rewards/redeem", {"currency": "USD"})
    lock_matured_rewards()
    buy_through(share_of(guide, "ada@example.com"), lamp, email="friend2@example.com", ip="198.51.100.77")
    with django_assert_num_queries(3):
        after = client.get("/api/v1/account/rewards").json()
    redeemed = post_json(client, "/api/v1/account/rewards/redeem", {"currency": "USD"})

    assert before == [{"currency": "USD", "pending": "2.00", "available": "0.00", "redeemed": "0.00"}]
    assert (too_soon.status_code, too_soon.json()["code"]) == (409, "nothing_to_redeem")
    assert after == [{"currency": "USD", "pending": "2.00", "available": "2.00", "redeemed": "0.00"}]
    assert redeemed.status_code == 201
    assert redeemed.json() == {"code": Voucher.objects.get().code, "value": "2.00", "currency": "USD"}


def test_a_reward_in_yen_accrues_and_reverses_in_whole_yen(guide, lamp):
    order = buy_through(share_of(guide), lamp, email="friend@example.com", price="143.00", currency="JPY")
    line = order.lines.get().pk
    for amount in ("71.00", "72.00"):  # two refunds, together the whole line
        events.order_refunded.send(order=order, refund=refund_lines(order, {line: amount}))

    assert list(RewardEntry.objects.order_by("pk").values_list("kind", "amount", "currency")) == [
        ("accrual", Decimal("7.00"), "JPY"), ("reversal", Decimal("-3.00"), "JPY"),  # 5 % of 143, then of 72: 4
        ("reversal", Decimal("-4.00"), "JPY")]
