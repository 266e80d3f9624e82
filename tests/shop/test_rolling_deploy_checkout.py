"""During a rolling deploy app processes of the previous release (stop 26) still check carts out: they lock the
cart with ``SELECT … FOR UPDATE``, always replace its pending orders and never count ``Cart.checkouts_started``.
A checkout or a payment by this release after one of theirs still replaces or cancels every other pending order."""

import pytest

from shop.models import Cart, Order, OrderStatus, StockReservation
from shop.services import checkout as checkout_service
from shop.services.cart import lock_cart
from shop.services.locks import lock_for_transaction
from tests.shop.test_cart_buys_once import CHECKOUT, _pay, cart_token  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _previous_release_lock(cart, *, then_lock=()):
    """Stop 26's lock: nothing written to the cart row, the buyer's and client's locks taken one by one. It read the
    cart's pending orders on every checkout, which this release does when the count in hand is above one (in
    memory only: the row keeps its count)."""
    locked = lock_cart(cart)
    if then_lock:
        lock_for_transaction(*then_lock)
    locked.checkouts_started = 2
    locked.order_key = None  # it took no key ahead: the order is inserted at once and the database chooses it
    return locked


def _check_out(api, token, monkeypatch=None) -> str:
    """A checkout by this release, or by the previous one when ``monkeypatch`` is given."""
    if monkeypatch is None:
        return api.post(f"/carts/{token}/checkout", CHECKOUT).json()["order"]["number"]
    with monkeypatch.context() as patch:
        patch.setattr(checkout_service, "lock_cart_for_checkout", _previous_release_lock)
        return api.post(f"/carts/{token}/checkout", CHECKOUT).json()["order"]["number"]


def _events(number: str) -> list:
    return list(Order.objects.get(number=number).events.values_list("type", "data"))


def test_a_checkout_after_one_by_the_previous_release_replaces_its_pending_order(api, cart_token, monkeypatch):
    old = _check_out(api, cart_token, monkeypatch)
    assert Cart.objects.get(token=cart_token).checkouts_started == 0  # the previous release counted nothing

    new = _check_out(api, cart_token)

    assert dict(Order.objects.values_list("number", "status")) == {old: OrderStatus.CANCELLED,
                                                                   new: OrderStatus.PENDING}
    assert _events(old)[-1] == ("cancelled", {"reason": "checkout restarted"})
    assert list(StockReservation.objects.values_list("order__number", "quantity")) == [(new, 2)]
    assert Cart.objects.get(token=cart_token).checkouts_started == 2  # its order, and this checkout


def test_a_third_checkout_counts_the_previous_releases_checkout_in_between(api, cart_token, monkeypatch):
    first = _check_out(api, cart_token)
    second = _check_out(api, cart_token, monkeypatch)
    third = _check_out(api, cart_token)

    statuses = dict(Order.objects.values_list("number", "status"))
    assert statuses == {first: OrderStatus.CANCELLED, second: OrderStatus.CANCELLED, third: OrderStatus.PENDING}
    assert Cart.objects.get(token=cart_token).checkouts_started == 3


def test_a_late_payment_cancels_the_replacement_the_previous_release_placed(
    api, cart_token, monkeypatch, fake_stripe, django_capture_on_commit_callbacks,
):
    first = _check_out(api, cart_token)  # counted: 1
    second = _check_out(api, cart_token, monkeypatch)  # replaces the first, counts nothing: still 1
    assert Cart.objects.get(token=cart_token).checkouts_started == 1

    with django_capture_on_commit_callbacks(execute=True):
        late = _pay(first, "evt_1")  # the buyer had paid the first order in another tab

    assert late.json()["result"] == "processed"
    assert dict(Order.objects.values_list("number", "status")) == {first: OrderStatus.PAID,
                                                                   second: OrderStatus.CANCELLED}
    assert _events(second)[-1] == ("cancelled", {"reason": f"cart paid by order {first}"})
    assert StockReservation.objects.count() == 0
