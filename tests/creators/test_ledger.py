from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from creators.models import CommissionRule, CreatorProfile, EntryKind, LedgerEntry
from creators.services.ledger import (
    Balance,
    accrue_commission,
    creator_balances,
    lock_matured_commissions,
    reverse_commission_for_dispute,
    reverse_commission_for_refund,
)
from shop import events
from shop.money import quantize
from tests.creators.helpers import LineSpec, make_order, mark_paid, refund_lines
from tests.factories import make_creator, make_product, make_user

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


def entries(creator):
    return list(LedgerEntry.objects.filter(creator=creator).order_by("pk").values_list("kind", "amount", "source_ref"))


def paid_order(creator, *specs, at=None, **options):
    order = make_order(*specs, **options)
    mark_paid(order, at=at)
    accrue_commission(order)
    return order


def test_commission_accrues_as_pending_on_the_net_line_amount_when_paid(site_tree):
    anna = make_creator("anna")  # 10 %
    order = make_order(LineSpec(make_product(), unit_price="19.99", quantity=3, discount="5.00", creator=anna,
                                page_id=4, block_id="b1"))
    mark_paid(order)

    events.order_paid.send(order=order)
    events.order_paid.send(order=order)  # a retried webhook adds nothing

    [entry] = LedgerEntry.objects.filter(creator=anna)
    assert (entry.kind, entry.amount, entry.currency, entry.rate, entry.base_amount) == (
        "accrual", Decimal("5.50"), "USD", Decimal("0.1000"), Decimal("54.97"))
    assert (entry.page_id, entry.block_id, entry.effective_at) == (4, "b1", order.paid_at)
    assert creator_balances(anna.pk) == {"USD": Balance("USD", Decimal("5.50"), ZERO, ZERO)}


def test_the_rate_in_force_on_the_paid_date_is_used(site_tree):
    anna, product = make_creator("anna"), make_product()
    now = timezone.now()
    CommissionRule.objects.create(scope="product", product=product, rate=Decimal("0.2500"),
                                  valid_from=now - timedelta(days=1))
    paid_order(anna, LineSpec(product, unit_price="10.00", creator=anna), at=now)

    assert entries(anna) == [("accrual", Decimal("2.50"), "paid")]


def test_an_unpaid_order_and_a_self_referral_accrue_nothing(site_tree):
    anna, product = make_creator("anna"), make_product()
    pending = make_order(LineSpec(product, creator=anna))
    accrue_commission(pending)
    paid_order(anna, LineSpec(product, creator=anna), email="anna@example.com")

    assert entries(anna) == []


def test_partial_refunds_reverse_in_proportion_and_a_full_refund_reverses_everything(site_tree):
    anna = make_creator("anna")
    order = paid_order(anna, LineSpec(make_product(), unit_price="99.99", creator=anna))
    line = order.lines.get()

    first = refund_lines(order, {line.pk: "33.33"})
    events.order_refunded.send(order=order, refund=first)
    events.order_refunded.send(order=order, refund=first)  # retried
    reverse_commission_for_refund(order, refund_lines(order, {line.pk: "66.66"}))

    assert entries(anna) == [
        ("accrual", Decimal("10.00"), "paid"),
        ("reversal", Decimal("-3.33"), f"refund:{first.pk}"),
        ("reversal", Decimal("-6.67"), f"refund:{first.pk + 1}"),
    ]
    assert creator_balances(anna.pk)["USD"] == Balance("USD", ZERO, ZERO, ZERO)


def test_a_refund_of_one_line_leaves_the_other_lines_commission(site_tree):
    anna = make_creator("anna")
    order = paid_order(anna, LineSpec(make_product(), unit_price="40.00", creator=anna),
                       LineSpec(make_product(), unit_price="15.00", creator=anna))
    first, _second = order.lines.order_by("pk")

    reverse_commission_for_refund(order, refund_lines(order, {first.pk: "40.00"}))

    assert creator_balances(anna.pk)["USD"].pending == Decimal("1.50")


def test_an_open_dispute_reverses_nothing_and_a_lost_one_reverses_all_it_took(site_tree):
    anna = make_creator("anna")
    order = paid_order(anna, LineSpec(make_product(), unit_price="50.00", creator=anna),
                       LineSpec(make_product(), unit_price="30.00", creator=anna))
    first = order.lines.order_by("pk").first()
    reverse_commission_for_refund(order, refund_lines(order, {first.pk: "10.00"}))

    events.order_disputed.send(order=order)
    events.order_disputed.send(order=order)
    assert creator_balances(anna.pk)["USD"] == Balance("USD", Decimal("7.00"), ZERO, ZERO)

    for _ in range(2):  # the loss announced twice
        events.order_chargeback.send(order=order, dispute_id="dp_1", amount=Decimal("70.00"))

    assert creator_balances(anna.pk)["USD"] == Balance("USD", ZERO, ZERO, ZERO)
    assert [amount for kind, amount, ref in entries(anna) if ref == "dispute:dp_1"] == [
        Decimal("-4.00"), Decimal("-3.00")]


def test_commission_locks_only_after_the_return_window(site_tree, settings):
    settings.KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS = 30
    anna = make_creator("anna")
    paid_at = timezone.now() - timedelta(days=40)
    paid_order(anna, LineSpec(make_product(), unit_price="80.00", creator=anna), at=paid_at)

    assert lock_matured_commissions(now=paid_at + timedelta(days=29, hours=23)) == 0
    assert creator_balances(anna.pk)["USD"] == Balance("USD", Decimal("8.00"), ZERO, ZERO)

    assert lock_matured_commissions(now=paid_at + timedelta(days=30)) == 1
    assert lock_matured_commissions(now=paid_at + timedelta(days=31)) == 0  # already locked
    assert creator_balances(anna.pk)["USD"] == Balance("USD", ZERO, Decimal("8.00"), ZERO)


def test_the_lock_task_runs_the_service(site_tree, settings):
    from creators.tasks import lock_matured_commissions_task

    settings.KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS = 0
    anna = make_creator("anna")
    paid_order(anna, LineSpec(make_product(), unit_price="10.00", creator=anna),
               at=timezone.now() - timedelta(minutes=1))

    result = lock_matured_commissions_task.enqueue()

    assert result.return_value == 1
    assert creator_balances(anna.pk)["USD"].locked == Decimal("1.00")


def test_a_refund_after_locking_reduces_the_locked_balance(site_tree):
    anna = make_creator("anna")
    paid_at = timezone.now() - timedelta(days=40)
    order = paid_order(anna, LineSpec(make_product(), unit_price="80.00", creator=anna), at=paid_at)
    lock_matured_commissions()

    reverse_commission_for_refund(order, refund_lines(order, {order.lines.get().pk: "20.00"}))

    assert creator_balances(anna.pk)["USD"] == Balance("USD", ZERO, Decimal("6.00"), ZERO)


def test_ledger_entries_cannot_be_changed_or_deleted(site_tree):
    anna = make_creator("anna")
    paid_order(anna, LineSpec(make_product(), creator=anna))
    entry = LedgerEntry.objects.get()

    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.update(amount=0)
    with pytest.raises(TypeError):
        LedgerEntry.objects.all().delete()


# --- reconciliation: whatever happens, the ledger equals rate × (net − refunded), to the cent --------

cents = st.integers(min_value=1, max_value=99_999).map(lambda c: Decimal(c) / 100)
rates = st.integers(min_value=0, max_value=10_000).map(lambda r: Decimal(r) / 10_000)
line_specs = st.tuples(cents, st.integers(min_value=1, max_value=4), st.integers(min_value=0, max_value=100), rates)
orders = st.lists(line_specs, min_size=1, max_size=4)
# Each step: refund part of a line (by index and share of what remains), lock everything matured, or dispute.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("refund"), st.integers(min_value=0, max_value=15), st.integers(min_value=1, max_value=100)),
        st.tuples(st.just("lock"), st.just(0), st.just(0)),
        st.tuples(st.just("dispute"), st.integers(min_value=0, max_value=3), st.just(0)),
    ),
    max_size=8,
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order_specs=st.lists(orders, min_size=1, max_size=3), actions=steps)
def test_a_creators_balance_always_equals_rate_times_net_amount_left(site_tree, order_specs, actions):
    creator = CreatorProfile.objects.create(user=make_user(), display_name="P", handle=f"p{CreatorProfile.objects.count()}")
    paid_at = timezone.now() - timedelta(days=60)
    placed, expected_rate = [], {}
    for spec in order_specs:
        lines = []
        for price, quantity, discount_percent, rate in spec:
            product = make_product()  # each line's rate comes from its own product rule
            CommissionRule.objects.create(scope="product", product=product, rate=rate,
                                          valid_from=paid_at - timedelta(days=1))
            discount = quantize(price * quantity * discount_percent / 100)
            lines.append(LineSpec(product, unit_price=str(price), quantity=quantity, discount=str(discount),
                                  creator=creator))
        order = mark_paid(make_order(*lines), at=paid_at)
        accrue_commission(order)
        for line, (*_, rate) in zip(order.lines.order_by("pk"), spec):
            expected_rate[line.pk] = rate
        placed.append(order)
    all_lines = [line for order in placed for line in order.lines.order_by("pk")]
    disputed = set()
    for action, index, share in actions:
        if action == "lock":
            lock_matured_commissions()
            continue
        if action == "dispute":
            order = placed[index % len(placed)]
            order.refresh_from_db()  # the whole payment, lost: everything each line still held
            reverse_commission_for_dispute(order, dispute_id=f"dp_{order.pk}", amount=order.total)
            disputed.add(order.pk)
            continue
        line = all_lines[index % len(all_lines)]
        line.refresh_from_db()
        remaining = line.line_total - line.refunded_amount
        amount = quantize(remaining * share / 100)
        if amount <= 0:
            continue
        reverse_commission_for_refund(line.order, refund_lines(line.order, {line.pk: str(amount)}))

    expected = Decimal("0.00")
    for line in all_lines:
        line.refresh_from_db()
        if line.order_id in disputed:
            continue
        expected += quantize(expected_rate[line.pk] * (line.line_total - line.refunded_amount))
    balance = creator_balances(creator.pk).get("USD", Balance("USD", ZERO, ZERO, ZERO))
    assert balance.earned == expected
    assert balance.pending >= 0 and balance.paid == 0
    per_line = {}
    for entry in LedgerEntry.objects.filter(creator=creator, kind__in=[EntryKind.ACCRUAL, EntryKind.REVERSAL]):
        per_line[entry.order_line_id] = per_line.get(entry.order_line_id, Decimal("0")) + entry.amount
    assert all(total >= 0 for total in per_line.values())



def test_the_lock_command_locks_matured_commission(site_tree):
    from io import StringIO

    from django.core.management import call_command

    anna = make_creator("anna")
    paid_order(anna, LineSpec(make_product(), unit_price="10.00", creator=anna),
               at=timezone.now() - timedelta(days=31))
    out = StringIO()

    call_command("lock_commissions", stdout=out)

    assert out.getvalue() == "Locked commission on 1 order lines.\n"
