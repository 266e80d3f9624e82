"""Periodic jobs: each has a schedule, fires once per occurrence however many schedulers run, and
is idempotent when it runs again."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks.base import Task

from operations.models import ScheduledRun
from operations.scheduler import ScheduledJob, run_due_jobs, scheduled_jobs

pytestmark = pytest.mark.django_db

UTC = dt_timezone.utc


def test_every_periodic_job_has_a_schedule_and_a_real_task():
    assert sorted(settings.KOLSHOP_SCHEDULE) == [
        "drain_clicks", "enforce_retention", "expire_group_teams", "lock_matured_commissions",
        "lock_matured_rewards", "make_month_partitions", "release_expired_reservations", "retry_supply_transfers",
        "roll_up_daily_performance", "run_payouts",
    ]
    for job in scheduled_jobs():
        assert isinstance(import_string(job.task_path), Task), job.name
        assert job.trigger is not None


def test_occurrences_are_the_cron_times_in_the_window():
    hourly = ScheduledJob("rollup", "5 * * * *", "creators.reports.tasks.roll_up_daily_performance")
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    assert hourly.occurrences(after=start, until=start + timedelta(hours=2)) == [
        datetime(2026, 11, 25, 9, 5, tzinfo=UTC), datetime(2026, 11, 25, 10, 5, tzinfo=UTC),
    ]
    assert hourly.occurrences(after=datetime(2026, 11, 25, 9, 5, tzinfo=UTC), until=start + timedelta(minutes=6)) == []


def test_two_scheduler_replicas_enqueue_each_occurrence_once(settings):
    settings.KOLSHOP_SCHEDULE = {
        "sweep": {"cron": "* * * * *", "task": "shop.tasks.release_expired_reservations_task"},
        "rollup": {"cron": "5 * * * *", "task": "creators.reports.tasks.roll_up_daily_performance"},
    }
    after, until = datetime(2026, 11, 25, 9, 4, 30, tzinfo=UTC), datetime(2026, 11, 25, 9, 5, 2, tzinfo=UTC)

    first = run_due_jobs(after=after, until=until)
    second = run_due_jobs(after=after, until=until)  # the other replica, same tick

    due = datetime(2026, 11, 25, 9, 5, tzinfo=UTC)
    assert first == [("sweep", due), ("rollup", due)]
    assert second == []
    assert sorted(ScheduledRun.objects.values_list("job", "due_at")) == [("rollup", due), ("sweep", due)]


def test_a_scheduler_back_after_downtime_runs_a_missed_job_once(settings):
    settings.KOLSHOP_SCHEDULE = {"sweep": {"cron": "* * * * *", "task": "shop.tasks.release_expired_reservations_task"}}
    after = datetime(2026, 11, 25, 9, 0, 30, tzinfo=UTC)

    enqueued = run_due_jobs(after=after, until=after + timedelta(minutes=10))

    assert enqueued == [("sweep", datetime(2026, 11, 25, 9, 10, tzinfo=UTC))]
    assert ScheduledRun.objects.count() == 1


@pytest.mark.parametrize("name", ["release_expired_reservations", "roll_up_daily_performance",
                                  "lock_matured_commissions", "run_payouts", "drain_clicks", "enforce_retention",
                                  "retry_supply_transfers", "make_month_partitions"])
def test_each_scheduled_job_is_idempotent(name, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from creators.models import Payout, PayoutRun
    from shop.models import Order, StockReservation
    from tests.shop.helpers import cart_with, checkout, variant_with_stock

    variant_with_stock("A-1", on_hand=5)
    expired = checkout(cart_with(("A-1", 2))).order  # a hold that ran out: work for the sweep
    Order.objects.filter(pk=expired.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))
    StockReservation.objects.filter(order=expired).update(expires_at=timezone.now() - timedelta(minutes=1))
    task = import_string(settings.KOLSHOP_SCHEDULE[name]["task"])

    def state():
        return (list(Order.objects.values_list("pk", "status")), Payout.objects.count())

    with django_capture_on_commit_callbacks(execute=True):
        first = task.enqueue()
    after_first = state()
    with django_capture_on_commit_callbacks(execute=True):
        again = task.enqueue()

    assert state() == after_first
    if name == "run_payouts":
        assert PayoutRun.objects.get(pk=again.return_value).payouts.count() == 0
    elif name == "roll_up_daily_performance":
        assert again.return_value == []
    elif name == "enforce_retention":
        assert set(again.return_value.values()) == {0}
    elif name == "make_month_partitions":
        assert again.return_value == []
    else:
        assert again.return_value == 0
    if name == "release_expired_reservations":
        assert first.return_value == 1 and after_first[0] == [(expired.pk, "cancelled")]


def test_the_scheduled_retry_pays_a_failed_supply_transfer_under_its_first_key(settings, monkeypatch,
                                                                               django_capture_on_commit_callbacks):
    from decimal import Decimal

    from shop.models import Cart, SupplyTransfer, SupplyTransferStatus, Variant
    from shop.payments import stripe_api
    from shop.payments.gateway import PaymentGatewayError
    from shop.services.cart import add_line_to_cart
    from shop.services.checkout import confirm_payment
    from tests.factories import make_brand, make_brand_user, make_creator, make_product
    from tests.shop.helpers import checkout
    from tests.shop.supply_helpers import live_listing, offer_for

    settings.KOLSHOP_PAYMENT_GATEWAY, settings.KOLSHOP_SHIPPING_RATES = "dummy", "US:5.00"
    settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand = make_brand()
    brand.stripe_account_id = "acct_brand"
    brand.save()
    make_product(brand=brand, variants=[("SET-1", "25.00", 10)])
    listing = live_listing(offer_for(Variant.objects.get(sku="SET-1"), user=make_brand_user(brand=brand)),
                           creator_id=make_creator().pk, price="24.00")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="SET-1", quantity=2, listing_id=listing.pk)
    calls = []

    def flaky(**kwargs):
        calls.append((kwargs["idempotency_key"], kwargs["amount_minor"], kwargs["destination"]))
        if len(calls) == 1:
            raise PaymentGatewayError("Stripe could not be reached.", code="network_error")
        return "tr_1"

    monkeypatch.setattr(stripe_api, "create_transfer", flaky)
    with django_capture_on_commit_callbacks(execute=True):  # paying tries the transfer after the commit
        order = confirm_payment(checkout(cart).order)
    transfer = SupplyTransfer.objects.get(order=order)
    assert (transfer.status, transfer.attempts) == (SupplyTransferStatus.FAILED, 1)
    task = import_string(settings.KOLSHOP_SCHEDULE["retry_supply_transfers"]["task"])

    assert task.enqueue().return_value == 1
    assert task.enqueue().return_value == 0

    transfer.refresh_from_db()
    assert (transfer.status, transfer.attempts, transfer.transfer_id, transfer.amount) == (
        SupplyTransferStatus.PAID, 2, "tr_1", Decimal("20.00"))
    key = f"kolshop-supply-{order.number}-brand-{brand.pk}"
    assert calls == [(key, 2000, "acct_brand"), (key, 2000, "acct_brand")]
