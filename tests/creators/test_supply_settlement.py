"""Settling a paid storefront order: the brand's payable by its own transfer, the creator's margin through the ledger."""

from decimal import Decimal

import pytest

from datetime import timedelta

from django.utils import timezone

from creators.models import EntryKind, LedgerEntry
from creators.services.ledger import ZERO, Balance, accrue_commission, creator_balances, lock_matured_commissions
from creators.services.payouts import run_payouts
from shop.models import Cart, PayeeKind, SupplyTransfer, SupplyTransferStatus, Variant
from shop.payments import stripe_api
from shop.payments.gateway import PaymentGatewayError
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from shop.services.supply_settlement import (
    pay_supply_transfers, record_supply_payables, retry_supply_transfers, transfer_group_of,
)
from tests.factories import make_brand, make_brand_user, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import live_listing, offer_for

pytestmark = pytest.mark.django_db


def transfers_to(fake_connect, account_id: str) -> list[dict]:
    return [t for t in fake_connect.transfers() if t["destination"] == account_id]


@pytest.fixture
def paid(site_tree, fake_connect, shop_settings):
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand = make_brand()
    brand.stripe_account_id = fake_connect.create_account()
    brand.save()
    creator = make_creator()
    creator.stripe_account_id = fake_connect.create_account()
    creator.save()
    make_product(brand=brand, variants=[("SET-1", "25.00", 10)])
    listing = live_listing(offer_for(Variant.objects.get(sku="SET-1"), user=make_brand_user(brand=brand)),
                           creator_id=creator.pk, price="24.00")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="SET-1", quantity=2, listing_id=listing.pk)
    order = confirm_payment(checkout(cart).order)
    return order, brand, creator


def test_paying_records_a_brand_payable_and_accrues_the_creator_margin_in_the_ledger(paid):
    order, brand, creator = paid
    rows = [(row.payee_kind, row.payee_id, row.amount, row.status, row.transfer_group, row.idempotency_key)
            for row in SupplyTransfer.objects.filter(order=order)]
    assert rows == [(PayeeKind.BRAND, brand.pk, Decimal("20.00"), SupplyTransferStatus.PENDING,
                     f"kolshop-order-{order.number}", f"kolshop-supply-{order.number}-brand-{brand.pk}")]
    entries = [(e.creator_id, e.kind, e.amount, e.rate, e.base_amount, e.source_ref)
               for e in LedgerEntry.objects.filter(order_id=order.pk)]
    assert entries == [(creator.pk, EntryKind.ACCRUAL, Decimal("25.60"), None, Decimal("48.00"), "paid")]
    assert creator_balances(creator.pk) == {"USD": Balance("USD", pending=Decimal("25.60"), locked=ZERO, paid=ZERO)}


def test_the_brand_is_paid_by_its_own_transfer_in_the_orders_group(paid, fake_connect):
    order, brand, creator = paid
    pay_supply_transfers(order_id=order.pk)
    transfers = fake_connect.transfers(transfer_group=transfer_group_of(order))
    assert [(t["destination"], t["amount"]) for t in transfers] == [(brand.stripe_account_id, 2000)]
    assert list(SupplyTransfer.objects.values_list("status", flat=True)) == [SupplyTransferStatus.PAID]
    pay_supply_transfers(order_id=order.pk)  # nothing left to pay
    assert len(fake_connect.transfers(transfer_group=transfer_group_of(order))) == 1


def test_the_margin_is_paid_once_by_the_payout_run_after_the_return_window(paid, fake_connect, settings):
    order, _, creator = paid
    pay_supply_transfers(order_id=order.pk)
    retry_supply_transfers()
    assert transfers_to(fake_connect, creator.stripe_account_id) == []  # no transfer pays a margin
    run_payouts(threshold=Decimal("0.01"))  # still inside the return window: nothing locked, nothing paid
    assert transfers_to(fake_connect, creator.stripe_account_id) == []

    later = timezone.now() + timedelta(days=settings.KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS, hours=1)
    assert lock_matured_commissions(now=later) == 1
    run_payouts(threshold=Decimal("0.01"))
    run_payouts(threshold=Decimal("0.01"))

    assert [t["amount"] for t in transfers_to(fake_connect, creator.stripe_account_id)] == [2560]
    assert creator_balances(creator.pk) == {"USD": Balance("USD", pending=ZERO, locked=ZERO, paid=Decimal("25.60"))}


def test_a_failed_transfer_is_retried_under_the_same_idempotency_key(paid, fake_connect, monkeypatch):
    order, brand, _ = paid
    real = stripe_api.create_transfer
    keys = []

    def flaky(**kwargs):
        keys.append((kwargs["idempotency_key"], kwargs["amount_minor"]))
        if len(keys) == 1:
            raise PaymentGatewayError("Stripe could not be reached.", code="network_error")
        return real(**kwargs)

    monkeypatch.setattr(stripe_api, "create_transfer", flaky)
    pay_supply_transfers(order_id=order.pk)
    failed = SupplyTransfer.objects.get(status=SupplyTransferStatus.FAILED)
    assert (failed.payee_kind, failed.attempts, failed.failure_message) == (
        PayeeKind.BRAND, 1, "network_error: Stripe could not be reached.")

    retry_supply_transfers()

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (SupplyTransferStatus.PAID, 2)
    assert keys == [(failed.idempotency_key, 2000), (failed.idempotency_key, 2000)]
    assert len(fake_connect.transfers(transfer_group=transfer_group_of(order))) == 1


def test_a_repeated_paid_event_records_nothing_twice(paid):
    order, _, creator = paid
    record_supply_payables(order=order)
    accrue_commission(order)
    assert SupplyTransfer.objects.filter(order=order).count() == 1
    assert list(LedgerEntry.objects.filter(order_id=order.pk).values_list("amount", flat=True)) == [Decimal("25.60")]


def test_a_reseller_line_earns_its_creator_the_margin_and_no_commission(paid):
    order, _, creator = paid
    line = order.lines.get()
    line.creator_id = creator.pk  # bought through the creator's own buy link
    line.save(update_fields=["creator_id"])

    assert accrue_commission(order) == []
    assert list(LedgerEntry.objects.filter(order_id=order.pk).values_list("kind", "amount", "rate")) == [
        (EntryKind.ACCRUAL, Decimal("25.60"), None)]
