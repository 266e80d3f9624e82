"""When erasure must wait, and how per-buyer limits keep counting an erased buyer until their windows end."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from privacy.services.erasure import erase_subject
from privacy.services.retention import enforce_retention
from shop.errors import Conflict, InvalidInput
from shop.models import GroupMember, Order, OrderStatus, Voucher
from shop.services.vouchers import validate_voucher
from tests.creators.helpers import LineSpec, make_order
from tests.factories import make_product
from tests.privacy.helpers import ADA, give_to
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return make_product(variants=[("ERA-1", "10.00", 50)])


def ada_order(product, *, status, fulfilment="shipping", paid_days_ago=40, redeemed=False, quantity=1):
    now = timezone.now()
    order = make_order(LineSpec(product, "10.00", quantity=quantity), email=ADA.email)
    Order.objects.filter(pk=order.pk).update(
        fulfilment_method=fulfilment, paid_at=now - timedelta(days=paid_days_ago) if status != "pending" else None,
        pickup_code_hash="f" * 64 if fulfilment == "pickup" else "",
        pickup_redeemed_at=now if redeemed else None)
    order.refresh_from_db()
    return give_to(ADA, order, status=status)


@pytest.mark.parametrize("status, fulfilment, reason", [
    (OrderStatus.PENDING, "shipping", "Order {} is waiting for payment."),
    (OrderStatus.AWAITING_GROUP, "shipping", "Order {} is waiting for payment."),
    (OrderStatus.PAID, "shipping", "Order {} has not been fulfilled yet."),
    (OrderStatus.PAID, "pickup", "Order {} has a pickup code that has not been redeemed."),
])
def test_erasure_waits_while_an_order_is_pending_unfulfilled_or_has_an_unredeemed_pickup_code(
        product, status, fulfilment, reason):
    done = ada_order(product, status=OrderStatus.FULFILLED)
    waiting = ada_order(product, status=status, fulfilment=fulfilment)

    result = erase_subject(ADA.subject)

    assert (result.erased, result.reasons) == (False, [reason.format(waiting.number)])
    assert sorted(Order.objects.values_list("email", "shipping_name")) == [(ADA.email, ADA.name)] * 2
    assert done.pk != waiting.pk


@pytest.mark.parametrize("status, fulfilment, redeemed, paid_days_ago", [
    (OrderStatus.CANCELLED, "shipping", False, 1),
    (OrderStatus.REFUNDED, "shipping", False, 1),  # all refunded: nothing left to refund
    (OrderStatus.FULFILLED, "pickup", True, 31),
    (OrderStatus.FULFILLED, "shipping", False, 31),
])
def test_erasure_goes_ahead_once_nothing_is_outstanding(product, status, fulfilment, redeemed, paid_days_ago):
    order = ada_order(product, status=status, fulfilment=fulfilment, redeemed=redeemed, paid_days_ago=paid_days_ago)

    result = erase_subject(ADA.subject)

    order.refresh_from_db()
    assert (result.erased, order.email, order.shipping_name, order.pickup_code_hash) == (
        True, f"erased-{order.pk}@erased.invalid", "", "")


def test_the_per_variant_limit_counts_an_erased_buyer_until_the_key_window_ends(shop_settings, product):
    limited = variant_with_stock("LIM-1", on_hand=50).product
    ada_order(limited, status=OrderStatus.FULFILLED, quantity=8)
    erase_subject(ADA.subject)

    with pytest.raises(Conflict) as refused:
        checkout(cart_with(("LIM-1", 3)), email="ADA.Lovelace+again@example.com")
    assert refused.value.code == "quantity_limit"

    enforce_retention(now=timezone.now() + timedelta(days=326))  # 40 days ago + 365 days: the key goes

    assert Order.objects.filter(buyer_key=ADA.subject.key).count() == 0
    assert checkout(cart_with(("LIM-1", 3)), email=ADA.email).order.status == OrderStatus.PENDING


def test_a_vouchers_per_buyer_limit_counts_an_erased_buyer_while_the_voucher_runs(shop_settings, product):
    now = timezone.now()
    voucher = Voucher.objects.create(code="ONCE", kind="percentage", value=Decimal("10"), per_buyer_limit=1,
                                     valid_until=now + timedelta(days=400))
    order = ada_order(product, status=OrderStatus.FULFILLED)
    Order.objects.filter(pk=order.pk).update(voucher=voucher, voucher_code="ONCE")
    erase_subject(ADA.subject)

    enforce_retention(now=now + timedelta(days=330))  # past the 365 days, but the voucher still runs
    with pytest.raises(InvalidInput) as refused:
        validate_voucher(voucher, email="ada.lovelace@example.com", currency="USD")
    assert refused.value.code == "voucher_buyer_limit"

    enforce_retention(now=now + timedelta(days=401))
    validate_voucher(voucher, email="ada.lovelace@example.com", currency="USD")
    assert Order.objects.get(pk=order.pk).buyer_key == ""


def test_an_erased_group_member_keeps_seat_and_key_but_not_the_name(shop_settings):
    from shop.services.groupbuy import GroupBuyer, open_team
    from tests.shop.group_helpers import make_campaign
    from tests.shop.helpers import US_ADDRESS

    campaign = make_campaign()
    membership = open_team(campaign.pk, buyer=GroupBuyer(email=ADA.email, name=ADA.name, quantity=1,
                                                          fulfilment="shipping", address=US_ADDRESS))
    member = GroupMember.objects.get(pk=membership.member.pk)
    assert erase_subject(ADA.subject).reasons == [f"Order {member.order.number} is waiting for payment."]
    Order.objects.filter(pk=member.order_id).update(status=OrderStatus.FULFILLED,
                                                    paid_at=timezone.now() - timedelta(days=31))
    GroupMember.objects.filter(pk=member.pk).update(status="captured")

    assert erase_subject(ADA.subject).erased is True

    member.refresh_from_db()
    assert (member.display_name, member.seat, member.buyer_key, member.order.email) == (
        "Erased", 1, ADA.subject.key, f"erased-{member.order_id}@erased.invalid")
