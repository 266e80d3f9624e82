"""The cart add and checkout find their cart by token in the statement that locks it (issue 14): an unknown or
checked-out cart is still refused before anything is written, and an add still stamps the cart (idle carts are
purged by ``updated_at``). Paying answers from the payments it read first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.attribution import Attribution, sign_attribution
from shop.models import AddToCartEvent, Cart, Order, Payment
from shop.services import buy_links
from tests.shop.helpers import variant_with_stock

pytestmark = pytest.mark.django_db

PICKUP = {"email": "ada@example.com", "fulfilment": "pickup"}


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


def test_an_unknown_token_is_refused_and_nothing_is_written(api):
    variant_with_stock("HP-1", price="10.00", on_hand=3)

    added = api.post("/carts/not-a-token/lines", {"sku": "HP-1", "quantity": 1})
    checked_out = api.post("/carts/not-a-token/checkout", PICKUP)

    assert (added.status_code, added.json()["code"]) == (404, "cart_not_found")
    assert (checked_out.status_code, checked_out.json()["code"]) == (404, "cart_not_found")
    assert (AddToCartEvent.objects.count(), Order.objects.count()) == (0, 0)


def test_an_unknown_token_is_404_before_the_input_is_judged(api):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    token = api.post("/carts/").json()["token"]

    unknown_add = api.post("/carts/not-a-token/lines", {"sku": "HP-1", "quantity": 1, "attribution": "forged"})
    unknown_checkout = api.post("/carts/not-a-token/checkout", {"email": "not-an-email", "fulfilment": "pickup"})
    known_add = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1, "attribution": "forged"})
    known_checkout = api.post(f"/carts/{token}/checkout", {"email": "not-an-email", "fulfilment": "pickup"})

    assert [(response.status_code, response.json()["code"]) for response in (unknown_add, unknown_checkout)] == [
        (404, "cart_not_found"), (404, "cart_not_found")]
    assert (known_add.status_code, known_add.json()["code"], known_add.json()["field"]) == (
        400, "invalid_attribution", "attribution")
    assert (known_checkout.status_code, known_checkout.json()["code"], known_checkout.json()["field"]) == (
        400, "invalid_email", "email")
    assert (AddToCartEvent.objects.count(), Order.objects.count()) == (0, 0)


def test_adding_stamps_the_cart_so_it_is_not_purged_as_idle(api):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    token = api.post("/carts/").json()["token"]
    long_ago = timezone.now() - timedelta(days=30)
    Cart.objects.filter(token=token).update(updated_at=long_ago)

    response = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2})

    cart = Cart.objects.get(token=token)
    assert (response.status_code, response.json()["item_count"], response.json()["token"]) == (201, 2, token)
    assert cart.updated_at > long_ago + timedelta(days=29)
    assert list(cart.lines.values_list("variant__sku", "quantity")) == [("HP-1", 2)]


def test_adding_to_a_checked_out_cart_is_refused_without_stamping_it(api):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    token = api.post("/carts/").json()["token"]
    checked_out_at = timezone.now() - timedelta(hours=1)
    Cart.objects.filter(token=token).update(checked_out_at=checked_out_at, updated_at=checked_out_at)

    response = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1})

    assert (response.status_code, response.json()["code"]) == (409, "cart_checked_out")
    assert Cart.objects.get(token=token).updated_at == checked_out_at
    assert AddToCartEvent.objects.count() == 0


def test_paying_answers_with_the_payment_it_completed(api):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    token = api.post("/carts/").json()["token"]
    api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1})
    placed = api.post(f"/carts/{token}/checkout", PICKUP).json()

    wrong = api.post(f"/orders/{placed['order']['number']}/pay", **{"X-Order-Secret": "not-the-secret"})
    paid = api.post(f"/orders/{placed['order']['number']}/pay", **{"X-Order-Secret": placed["order_secret"]})
    again = api.post(f"/orders/{placed['order']['number']}/pay", **{"X-Order-Secret": placed["order_secret"]})

    assert (wrong.status_code, wrong.json()["code"]) == (404, "order_not_found")
    assert (paid.status_code, paid.json()["status"], paid.json()["total"]) == (200, "paid", "10.00")
    assert paid.json()["payment"] == {"status": "succeeded", "gateway": "dummy", "amount": "10.00",
                                      "currency": "USD", "client_secret": None}
    assert list(Payment.objects.values_list("status", flat=True)) == ["succeeded"]
    assert (again.status_code, again.json()["code"]) == (409, "already_paid")


def test_a_buy_link_add_to_an_unknown_cart_counts_no_click(api, monkeypatch):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    counted = []
    monkeypatch.setattr(buy_links, "_record_click", lambda attribution, **kwargs: counted.append(attribution) or 5)
    token = sign_attribution(Attribution(creator_id=3, page_id=41, block_id="blk-9"), sku="HP-1")

    refused = api.post("/carts/not-a-token/lines", {"sku": "HP-1", "quantity": 1, "attribution": token})
    cart = api.post("/carts/").json()["token"]
    added = api.post(f"/carts/{cart}/lines", {"sku": "HP-1", "quantity": 1, "attribution": token})

    assert (refused.status_code, refused.json()["code"]) == (404, "cart_not_found")
    assert (added.status_code, len(counted)) == (201, 1)
    assert list(Cart.objects.get(token=cart).lines.values_list("creator_id", "click_id")) == [(3, 5)]
