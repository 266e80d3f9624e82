"""Money already sent to a brand comes back: Stripe transfer reversals for refunds and lost disputes,
each under its own idempotency key, retried by the scheduled job; transfer attempts never overlap."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from creators.models import EntryKind, LedgerEntry
from shop import events
from shop.models import (
    SupplyLineSplit, SupplyReversalStatus, SupplyTransfer, SupplyTransferReversal, SupplyTransferStatus,
)
from shop.payments import stripe_api
from shop.payments.gateway import PaymentGatewayError
from shop.payments.webhooks import handle_event
from shop.services.refunds import refund_order
from shop.services.supply_recovery import retry_supply_reversals
from shop.services.supply_settlement import pay_supply_transfers, retry_supply_transfers, transfer_group_of
from shop.tasks import retry_supply_transfers_task
from tests.creators.helpers import dispute_event

pytestmark = pytest.mark.django_db


def sent(fake_connect, order) -> dict[str, tuple[int, int]]:
    """{destination: (amount sent, amount reversed)} in minor units, from the fake Stripe."""
    return {t["destination"]: (t["amount"], t["amount_reversed"])
            for t in fake_connect.transfers(transfer_group=transfer_group_of(order))}


def recovery(order) -> list[tuple[int, Decimal, str, int]]:
    return [(r.transfer.payee_id, r.amount, r.status, r.attempts)
            for r in SupplyTransferReversal.objects.filter(transfer__order=order).select_related("transfer")]


def splits(order) -> list[tuple[int, str, Decimal, Decimal, Decimal, Decimal]]:
    return [(s.order_line_id, s.source_ref, s.amount, s.wholesale_part, s.margin_part, s.fee_part)
            for s in SupplyLineSplit.objects.filter(order_line__order=order)]


def test_a_two_brand_order_refunded_after_its_transfers_is_reversed_per_brand_to_the_cent(
        two_brand_order, fake_connect, django_capture_on_commit_callbacks):
    order, (brand_a, brand_b), _, line_a, line_b = two_brand_order
    pay_supply_transfers(order_id=order.pk)
    a, b = brand_a.stripe_account_id, brand_b.stripe_account_id
    assert sent(fake_connect, order) == {a: (3000, 0), b: (1800, 0)}

    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_order(order, quantities={line_a.pk: 2, line_b.pk: 1})

    assert refund.amount == Decimal("88.01")
    assert sent(fake_connect, order) == {a: (3000, 2000), b: (1800, 1800)}
    assert recovery(order) == [(brand_a.pk, Decimal("20.00"), SupplyReversalStatus.RECOVERED, 1),
                               (brand_b.pk, Decimal("18.00"), SupplyReversalStatus.RECOVERED, 1)]
    assert all(r.reversal_id.startswith("trr_") for r in SupplyTransferReversal.objects.all())

    # The same refund announced again, and the scheduled job: nothing is taken back twice.
    with django_capture_on_commit_callbacks(execute=True):
        events.order_refunded.send(order=order, refund=refund)
    assert retry_supply_transfers_task.call() == 0
    assert sent(fake_connect, order) == {a: (3000, 2000), b: (1800, 1800)}
    assert SupplyTransferReversal.objects.count() == 2


def test_a_reversal_that_failed_is_retried_by_the_job_under_its_own_key(two_brand_order, fake_connect, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    order, (brand_a, _), _, line_a, _ = two_brand_order
    pay_supply_transfers(order_id=order.pk)
    real = stripe_api.create_transfer_reversal
    calls = []

    def answer_lost(**kwargs):
        calls.append((kwargs["idempotency_key"], kwargs["amount_minor"]))
        real(**kwargs)  # Stripe reversed it, but the answer never arrived
        if len(calls) == 1:
            raise PaymentGatewayError("Stripe could not be reached.", code="network_error")
        return real(**kwargs)

    monkeypatch.setattr(stripe_api, "create_transfer_reversal", answer_lost)
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order, quantities={line_a.pk: 1})
    reversal = SupplyTransferReversal.objects.get()
    assert (reversal.status, reversal.attempts, reversal.failure_message) == (
        SupplyReversalStatus.TO_RECOVER, 1, "network_error: Stripe could not be reached.")

    assert retry_supply_reversals() == [reversal.pk]

    reversal.refresh_from_db()
    assert (reversal.status, reversal.attempts, reversal.failure_message) == (SupplyReversalStatus.RECOVERED, 2, "")
    assert calls == [(f"kolshop-supply-reversal-{reversal.pk}", 1000)] * 2
    assert sent(fake_connect, order)[brand_a.stripe_account_id] == (3000, 1000)
    assert retry_supply_reversals() == []


def test_a_refund_while_the_transfer_is_in_flight_is_recovered_once_it_lands(two_brand_order, fake_connect,
                                                                             monkeypatch):
    order, (brand_a, brand_b), _, line_a, _ = two_brand_order
    real = stripe_api.create_transfer

    def refund_meanwhile(**kwargs):
        if not SupplyTransferReversal.objects.exists():
            refund_order(order, quantities={line_a.pk: 1})  # arrives while brand A's transfer is being sent
        return real(**kwargs)

    monkeypatch.setattr(stripe_api, "create_transfer", refund_meanwhile)
    pay_supply_transfers(order_id=order.pk)

    assert recovery(order) == [(brand_a.pk, Decimal("10.00"), SupplyReversalStatus.RECOVERED, 1)]
    assert sent(fake_connect, order) == {brand_a.stripe_account_id: (3000, 1000),
                                         brand_b.stripe_account_id: (1800, 0)}


def test_a_lost_dispute_after_the_transfers_takes_each_brands_whole_payable_back(
        two_brand_order, fake_connect, django_capture_on_commit_callbacks):
    order, (brand_a, brand_b), creator, line_a, line_b = two_brand_order
    pay_supply_transfers(order_id=order.pk)

    with django_capture_on_commit_callbacks(execute=True):
        handle_event(dispute_event(order, event_type="charge.dispute.created", event_id="evt_1", amount=11702))
        handle_event(dispute_event(order, event_type="charge.dispute.funds_withdrawn", event_id="evt_2", amount=11702))
        handle_event(dispute_event(order, event_type="charge.dispute.closed", event_id="evt_3", amount=11702,
                                   status="lost"))

    assert splits(order) == [
        (line_a.pk, "dispute:dp_1", Decimal("72.03"), Decimal("30.00"), Decimal("38.43"), Decimal("3.60")),
        (line_b.pk, "dispute:dp_1", Decimal("39.99"), Decimal("18.00"), Decimal("19.99"), Decimal("2.00")),
    ]
    assert recovery(order) == [(brand_a.pk, Decimal("30.00"), SupplyReversalStatus.RECOVERED, 1),
                               (brand_b.pk, Decimal("18.00"), SupplyReversalStatus.RECOVERED, 1)]
    assert sent(fake_connect, order) == {brand_a.stripe_account_id: (3000, 3000),
                                         brand_b.stripe_account_id: (1800, 1800)}
    assert -sum(LedgerEntry.objects.filter(order_id=order.pk, kind=EntryKind.REVERSAL).values_list(
        "amount", flat=True)) == Decimal("58.42")  # the creator's margins, by the ledger


def test_a_partial_dispute_before_the_transfers_nets_the_payables_like_a_refund_of_its_amount(
        two_brand_order, fake_connect):
    order, (brand_a, brand_b), _, line_a, line_b = two_brand_order

    handle_event(dispute_event(order, event_type="charge.dispute.funds_withdrawn", event_id="evt_1", amount=5000))
    handle_event(dispute_event(order, event_type="charge.dispute.closed", event_id="evt_2", amount=5000,
                               status="lost"))
    pay_supply_transfers(order_id=order.pk)

    # 50.00 over what each line and the shipping held (72.03, 39.99, 5.00): 30.78, 17.09 and 2.13.
    assert splits(order) == [
        (line_a.pk, "dispute:dp_1", Decimal("30.78"), Decimal("12.82"), Decimal("16.42"), Decimal("1.54")),
        (line_b.pk, "dispute:dp_1", Decimal("17.09"), Decimal("7.69"), Decimal("8.54"), Decimal("0.86")),
    ]
    assert recovery(order) == [(brand_a.pk, Decimal("12.82"), SupplyReversalStatus.NETTED, 0),
                               (brand_b.pk, Decimal("7.69"), SupplyReversalStatus.NETTED, 0)]
    assert sent(fake_connect, order) == {brand_a.stripe_account_id: (1718, 0), brand_b.stripe_account_id: (1031, 0)}


def test_a_dispute_that_was_won_takes_nothing_back(two_brand_order, fake_connect, django_capture_on_commit_callbacks):
    order, (brand_a, brand_b), *_ = two_brand_order
    pay_supply_transfers(order_id=order.pk)

    with django_capture_on_commit_callbacks(execute=True):  # what Stripe sends for a dispute the shop wins
        for number, (event_type, status) in enumerate([
                ("charge.dispute.created", "needs_response"), ("charge.dispute.funds_withdrawn", "needs_response"),
                ("charge.dispute.closed", "won"), ("charge.dispute.funds_reinstated", "won")]):
            handle_event(dispute_event(order, event_type=event_type, event_id=f"evt_{number}", amount=11702,
                                       status=status))

    assert (splits(order), recovery(order)) == ([], [])
    assert sent(fake_connect, order) == {brand_a.stripe_account_id: (3000, 0), brand_b.stripe_account_id: (1800, 0)}


def test_a_run_overlapping_an_attempt_in_flight_skips_it(two_brand_order, fake_connect, monkeypatch):
    order, (brand_a, brand_b), *_ = two_brand_order
    real = stripe_api.create_transfer
    calls, overlapping = [], []

    def another_run_meanwhile(**kwargs):
        calls.append(kwargs["idempotency_key"])
        if len(calls) == 1:
            # The scheduled job (or a second delivery) runs while the first attempt waits for Stripe.
            overlapping.extend((t.payee_id, t.status) for t in pay_supply_transfers(order_id=order.pk))
            overlapping.extend((t.payee_id, t.status) for t in retry_supply_transfers())
        return real(**kwargs)

    monkeypatch.setattr(stripe_api, "create_transfer", another_run_meanwhile)
    pay_supply_transfers(order_id=order.pk)

    # Brand A's transfer was in flight: skipped. Brand B's was nobody's yet: the other run sent it.
    assert overlapping == [(brand_a.pk, SupplyTransferStatus.SENDING), (brand_b.pk, SupplyTransferStatus.PAID)]
    assert sorted(SupplyTransfer.objects.filter(order=order).values_list("payee_id", "status", "attempts")) == [
        (brand_a.pk, SupplyTransferStatus.PAID, 1), (brand_b.pk, SupplyTransferStatus.PAID, 1)]
    assert calls == [f"kolshop-supply-{order.number}-brand-{brand_a.pk}",
                     f"kolshop-supply-{order.number}-brand-{brand_b.pk}"]
    assert sent(fake_connect, order) == {brand_a.stripe_account_id: (3000, 0), brand_b.stripe_account_id: (1800, 0)}


def test_an_attempt_abandoned_in_flight_is_retried_by_the_job_under_its_key(two_brand_order, fake_connect):
    order, (brand_a, brand_b), *_ = two_brand_order
    SupplyTransfer.objects.filter(order=order).update(status=SupplyTransferStatus.SENDING, attempts=1,
                                                      updated_at=timezone.now() - timedelta(minutes=11))
    SupplyTransfer.objects.filter(order=order, payee_id=brand_b.pk).update(updated_at=timezone.now())

    retry_supply_transfers()

    assert sorted(SupplyTransfer.objects.filter(order=order).values_list("payee_id", "status", "attempts")) == [
        (brand_a.pk, SupplyTransferStatus.PAID, 2), (brand_b.pk, SupplyTransferStatus.SENDING, 1)]
    assert sent(fake_connect, order) == {brand_a.stripe_account_id: (3000, 0)}


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in django_settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_retry_jobs_racing_for_a_failed_transfer_make_one_attempt(wagtail_base_data, two_brand_order, fake_connect,
                                                                     monkeypatch):
    order, (brand_a, _), *_ = two_brand_order  # paid after the commit (transaction=True): both transfers sent
    SupplyTransfer.objects.filter(order=order, payee_id=brand_a.pk).update(status=SupplyTransferStatus.FAILED)
    real = stripe_api.create_transfer
    calls, start = [], threading.Barrier(2)

    def slow(**kwargs):
        calls.append(kwargs["idempotency_key"])
        time.sleep(0.5)  # the other job runs while this attempt waits for Stripe
        return real(**kwargs)

    def job():
        try:
            start.wait()
            retry_supply_transfers()
        finally:
            connection.close()

    monkeypatch.setattr(stripe_api, "create_transfer", slow)
    jobs = [threading.Thread(target=job) for _ in range(2)]
    for thread in jobs:
        thread.start()
    for thread in jobs:
        thread.join()

    transfer = SupplyTransfer.objects.get(order=order, payee_id=brand_a.pk)
    assert (transfer.status, transfer.attempts) == (SupplyTransferStatus.PAID, 2)
    assert calls == [transfer.idempotency_key]
    assert len(fake_connect.transfers(transfer_group=transfer_group_of(order))) == 2
