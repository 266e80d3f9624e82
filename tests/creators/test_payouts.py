from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from creators.models import LedgerEntry, Payout, PayoutStatus
from creators.services.ledger import Balance, accrue_commission, creator_balances, lock_matured_commissions
from creators.services.payouts import run_payouts
from tests.creators.helpers import LineSpec, make_order, mark_paid
from tests.factories import make_creator, make_product

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


def locked_commission(creator, *prices):
    """Paid orders old enough to lock, one line each at the creator's 10 %."""
    paid_at = timezone.now() - timedelta(days=45)
    for price in prices:
        order = mark_paid(make_order(LineSpec(make_product(), unit_price=price, creator=creator)), at=paid_at)
        accrue_commission(order)
    lock_matured_commissions()


def connected(creator, account_id):
    creator.stripe_account_id = account_id
    creator.save(update_fields=["stripe_account_id"])
    return creator


def test_a_run_pays_creators_at_the_threshold_once_and_skips_the_rest(site_tree, fake_connect, settings):
    settings.KOLSHOP_PAYOUT_THRESHOLD = "25.00"
    anna = connected(make_creator("anna"), fake_connect.create_account())
    ben = connected(make_creator("ben"), fake_connect.create_account())
    locked_commission(anna, "150.00", "100.00")  # 15.00 + 10.00 = 25.00
    locked_commission(ben, "249.90")  # 24.99

    run = run_payouts()

    payout = Payout.objects.get()
    assert (payout.creator_id, payout.amount, payout.currency, payout.status) == (anna.pk, Decimal("25.00"), "USD", "paid")
    [transfer] = fake_connect.transfers()
    assert (transfer["amount"], transfer["currency"], transfer["destination"], transfer["transfer_group"]) == (
        2500, "usd", anna.stripe_account_id, payout.transfer_group)
    assert payout.transfer_id == transfer["id"]
    assert payout.idempotency_key == f"kolshop-payout-{run.pk}-{anna.pk}-USD"
    assert creator_balances(anna.pk)["USD"] == Balance("USD", ZERO, ZERO, Decimal("25.00"))
    assert creator_balances(ben.pk)["USD"] == Balance("USD", ZERO, Decimal("24.99"), ZERO)
    assert sorted(LedgerEntry.objects.filter(payout=payout).values_list("amount", flat=True)) == [
        Decimal("10.00"), Decimal("15.00")]


def test_running_payouts_twice_makes_no_second_transfer(site_tree, fake_connect):
    anna = connected(make_creator("anna"), fake_connect.create_account())
    locked_commission(anna, "300.00")

    run_payouts()
    second = run_payouts()

    assert len(fake_connect.transfers()) == 1
    assert second.payouts.count() == 0
    assert creator_balances(anna.pk)["USD"].paid == Decimal("30.00")


def test_a_payout_interrupted_before_settling_is_retried_with_the_same_key(site_tree, fake_connect, monkeypatch):
    from creators.services import payouts as payout_service

    anna = connected(make_creator("anna"), fake_connect.create_account())
    locked_commission(anna, "300.00")
    real_settle = payout_service._settle

    def crash_after_transfer(payout_id, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(payout_service, "_settle", crash_after_transfer)
    with pytest.raises(RuntimeError):
        run_payouts()  # the transfer went out, but the payout still says processing
    monkeypatch.setattr(payout_service, "_settle", real_settle)

    run_payouts()

    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.PAID
    assert [t["id"] for t in fake_connect.transfers()] == [payout.transfer_id]
    assert creator_balances(anna.pk)["USD"] == Balance("USD", ZERO, ZERO, Decimal("30.00"))


def test_a_failed_transfer_is_recorded_and_the_balance_stays_locked(site_tree, fake_connect):
    anna = connected(make_creator("anna"), "acct_doesnotexist")
    locked_commission(anna, "300.00", "12.34")

    run_payouts()

    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.FAILED
    assert payout.failure_message == "resource_missing: No such destination: 'acct_doesnotexist'"
    assert fake_connect.transfers() == []
    assert creator_balances(anna.pk)["USD"] == Balance("USD", ZERO, Decimal("31.23"), ZERO)

    # Once the account is fixed, the next run pays the whole balance.
    connected(anna, fake_connect.create_account())
    run_payouts()
    assert creator_balances(anna.pk)["USD"] == Balance("USD", ZERO, ZERO, Decimal("31.23"))
    assert [t["amount"] for t in fake_connect.transfers()] == [3123]


def test_creators_without_a_connected_account_are_not_paid(site_tree, fake_connect):
    anna = make_creator("anna")
    locked_commission(anna, "300.00")

    run_payouts()

    assert Payout.objects.count() == 0
    assert creator_balances(anna.pk)["USD"].locked == Decimal("30.00")


def test_a_refund_after_payout_is_netted_from_the_next_payout(site_tree, fake_connect):
    from creators.services.ledger import reverse_commission_for_refund
    from tests.creators.helpers import refund_lines

    anna = connected(make_creator("anna"), fake_connect.create_account())
    paid_at = timezone.now() - timedelta(days=45)
    order = mark_paid(make_order(LineSpec(make_product(), unit_price="300.00", creator=anna)), at=paid_at)
    accrue_commission(order)
    lock_matured_commissions()
    run_payouts()  # 30.00 paid
    reverse_commission_for_refund(order, refund_lines(order, {order.lines.get().pk: "100.00"}))  # −10.00
    locked_commission(anna, "400.00")  # +40.00

    run_payouts()

    assert [t["amount"] for t in fake_connect.transfers()] == [3000, 3000]
    assert creator_balances(anna.pk)["USD"] == Balance("USD", ZERO, ZERO, Decimal("60.00"))
