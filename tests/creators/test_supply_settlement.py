"""Settling a paid storefront order: a brand payable and a creator margin, each its own transfer in the order's group."""

from decimal import Decimal

import pytest

from shop.models import Cart, PayeeKind, SupplyTransfer, SupplyTransferStatus, Variant
from shop.payments import stripe_api
from shop.payments.gateway import PaymentGatewayError
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from shop.services.supply_settlement import pay_supply_transfers, retry_supply_transfers, transfer_group_of
from tests.factories import make_brand, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import brand_user_of, live_listing, offer_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(site_tree, fake_connect, settings):
    settings.KOLSHOP_PAYMENT_GATEWAY = "dummy"
    settings.KOLSHOP_SHIPPING_RATES = "US:5.00"
    settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    brand = make_brand()
    brand.stripe_account_id = fake_connect.create_account()
    brand.save()
    creator = make_creator()
    creator.stripe_account_id = fake_connect.create_account()
    creator.save()
    make_product(brand=brand, variants=[("SET-1", "25.00", 10)])
    listing = live_listing(offer_for(Variant.objects.get(sku="SET-1"), user=brand_user_of(brand)),
                           creator_id=creator.pk, price="24.00")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="SET-1", quantity=2, listing_id=listing.pk)
    order = confirm_payment(checkout(cart).order)
    return order, brand, creator


def test_paying_records_a_brand_payable_and_a_creator_margin(paid):
    order, brand, creator = paid
    rows = {(row.payee_kind, row.payee_id): (row.amount, row.status, row.transfer_group, row.idempotency_key)
            for row in SupplyTransfer.objects.filter(order=order)}
    group = f"kolshop-order-{order.number}"
    assert rows == {
        (PayeeKind.BRAND, brand.pk): (Decimal("20.00"), SupplyTransferStatus.PENDING, group,
                                      f"kolshop-supply-{order.number}-brand-{brand.pk}"),
        (PayeeKind.CREATOR, creator.pk): (Decimal("25.60"), SupplyTransferStatus.PENDING, group,
                                          f"kolshop-supply-{order.number}-creator-{creator.pk}"),
    }


def test_each_payee_is_paid_by_its_own_transfer_in_the_orders_group(paid, fake_connect):
    order, brand, creator = paid
    pay_supply_transfers(order_id=order.pk)
    transfers = fake_connect.transfers(transfer_group=transfer_group_of(order))
    assert sorted((t["destination"], t["amount"]) for t in transfers) == sorted(
        [(brand.stripe_account_id, 2000), (creator.stripe_account_id, 2560)])
    assert set(SupplyTransfer.objects.values_list("status", flat=True)) == {SupplyTransferStatus.PAID}
    pay_supply_transfers(order_id=order.pk)  # nothing left to pay
    assert len(fake_connect.transfers(transfer_group=transfer_group_of(order))) == 2


def test_a_failed_transfer_is_retried_under_the_same_idempotency_key(paid, fake_connect, monkeypatch):
    order, brand, _ = paid
    real = stripe_api.create_transfer
    keys = []

    def flaky(**kwargs):
        keys.append(kwargs["idempotency_key"])
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
    assert keys == [failed.idempotency_key, f"kolshop-supply-{order.number}-creator-{paid[2].pk}",
                    failed.idempotency_key]
    assert len(fake_connect.transfers(transfer_group=transfer_group_of(order))) == 2


def test_a_repeated_paid_event_records_nothing_twice(paid):
    from shop.services.supply_settlement import record_supply_payables

    order = paid[0]
    record_supply_payables(order=order)
    assert SupplyTransfer.objects.filter(order=order).count() == 2


def test_a_reseller_line_earns_its_creator_the_margin_and_no_commission(paid):
    from creators.models import LedgerEntry

    order, _, creator = paid
    line = order.lines.get()
    line.creator_id = creator.pk  # bought through the creator's own buy link
    line.save(update_fields=["creator_id"])
    from creators.services.ledger import accrue_commission

    assert accrue_commission(order) == []
    assert LedgerEntry.objects.filter(order_id=order.pk).count() == 0
