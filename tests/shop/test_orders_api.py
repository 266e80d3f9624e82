"""Checkout and order endpoints: the buyer reads and pays their order with its secret."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shop.models import Cart, CartLine, Order, OrderStatus, Payment, StockReservation
from shop.services.orders import pickup_code_for
from tests.shop.helpers import on_hand, variant_with_stock

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "us"}


@pytest.fixture(autouse=True)
def _settings(shop_settings):
    return shop_settings


def _cart(api, *lines) -> str:
    token = api.post("/carts/").json()["token"]
    for sku, quantity in lines:
        assert api.post(f"/carts/{token}/lines", {"sku": sku, "quantity": quantity}).status_code == 201
    return token


def test_checkout_then_pay_with_the_dummy_gateway(api):
    variant_with_stock("HP-1", price="12.50", on_hand=4)
    token = _cart(api, ("HP-1", 2))

    placed = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "address": ADDRESS})
    body = placed.json()
    number, secret = body["order"]["number"], body["order_secret"]
    paid = api.post(f"/orders/{number}/pay", **{"X-Order-Secret": secret})

    assert placed.status_code == 201
    assert body["payment"] == {"gateway": "dummy", "status": "pending", "client_secret": body["payment"]["client_secret"],
                               "publishable_key": ""}
    assert (body["order"]["status"], body["order"]["subtotal"], body["order"]["shipping_total"],
            body["order"]["total"]) == ("pending", "25.00", "5.00", "30.00")
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert paid.json()["reserved_until"] is None
    assert on_hand("HP-1") == 2
    assert api.get(f"/orders/{number}", **{"X-Order-Secret": secret}).json()["status"] == "paid"


def test_an_order_is_hidden_without_its_secret(api):
    variant_with_stock("HP-1")
    token = _cart(api, ("HP-1", 1))
    number = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "address": ADDRESS}).json()["order"][
        "number"]

    wrong = api.get(f"/orders/{number}", **{"X-Order-Secret": "guess"})
    missing = api.get(f"/orders/{number}")
    pay = api.post(f"/orders/{number}/pay", **{"X-Order-Secret": "guess"})

    assert [wrong.status_code, missing.status_code, pay.status_code] == [404, 404, 404]
    assert wrong.json() == {"code": "order_not_found", "message": "No order with this number and secret.", "field": None}
    assert Order.objects.get().status == OrderStatus.PENDING


def test_paying_an_expired_reservation_is_a_409_and_changes_nothing(api):
    variant_with_stock("HP-1", on_hand=3)
    token = _cart(api, ("HP-1", 1))
    body = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "address": ADDRESS}).json()
    Order.objects.update(reserved_until=timezone.now() - timedelta(seconds=1))
    StockReservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api.post(f"/orders/{body['order']['number']}/pay", **{"X-Order-Secret": body["order_secret"]})

    assert response.status_code == 409
    assert response.json()["code"] == "reservation_expired"
    assert Order.objects.get().status == OrderStatus.PENDING
    assert on_hand("HP-1") == 3


@pytest.mark.parametrize(("payload", "code", "field"), [
    ({"email": "not-an-email", "address": ADDRESS}, "invalid_email", "email"),
    ({"email": "ada@example.com"}, "address_required", "address"),
    ({"email": "ada@example.com", "address": {**ADDRESS, "city": " "}}, "address_incomplete", "address.city"),
    ({"email": "ada@example.com", "fulfilment": "drone"}, "invalid_fulfilment", "fulfilment"),
    ({"email": "ada@example.com", "address": ADDRESS, "voucher_code": "NOPE"}, "unknown_voucher", "voucher_code"),
    ({"address": ADDRESS}, "invalid", "email"),
])
def test_bad_checkout_input_is_a_400_and_reserves_nothing(api, payload, code, field):
    variant_with_stock("HP-1")
    token = _cart(api, ("HP-1", 1))

    response = api.post(f"/carts/{token}/checkout", payload)

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert Order.objects.count() == 0
    assert StockReservation.objects.count() == 0


def test_checking_out_an_empty_cart_is_refused(api):
    token = _cart(api)

    response = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "address": ADDRESS})

    assert (response.status_code, response.json()["code"]) == (400, "empty_cart")


def test_a_pickup_order_shows_its_code_once_paid(api):
    variant_with_stock("HP-1")
    token = _cart(api, ("HP-1", 1))
    body = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "fulfilment": "pickup"}).json()
    assert body["order"]["pickup_code"] is None

    paid = api.post(f"/orders/{body['order']['number']}/pay", **{"X-Order-Secret": body["order_secret"]}).json()

    assert paid["pickup_code"] == pickup_code_for(Order.objects.get())
    assert len(paid["pickup_code"]) == 11


@pytest.mark.parametrize("size", [1, 5])
def test_reading_an_order_costs_the_same_queries_at_any_size(api, django_assert_num_queries, size):
    cart = Cart.objects.create()
    for number in range(size):
        CartLine.objects.create(cart=cart, variant=variant_with_stock(f"Q-{number}"), quantity=1)
    body = api.post(f"/carts/{cart.token}/checkout", {"email": "ada@example.com", "address": ADDRESS}).json()
    path, secret = f"/orders/{body['order']['number']}", body["order_secret"]
    api.get(path, **{"X-Order-Secret": secret})  # warm-up

    with django_assert_num_queries(3):  # the order, its lines, its payments
        response = api.get(path, **{"X-Order-Secret": secret})

    assert len(response.json()["lines"]) == size


def _read(api, number: str, secret: str) -> dict:
    response = api.get(f"/orders/{number}", **{"X-Order-Secret": secret})
    assert response.status_code == 200
    return response.json()


def test_an_order_shows_its_payment_and_the_client_secret_only_while_payable(api):
    variant_with_stock("HP-1", price="12.50", on_hand=4)
    token = _cart(api, ("HP-1", 2))
    body = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "address": ADDRESS}).json()
    number, secret = body["order"]["number"], body["order_secret"]
    client_secret = Payment.objects.get().client_secret

    pending = _read(api, number, secret)
    api.post(f"/orders/{number}/pay", **{"X-Order-Secret": secret})
    paid = _read(api, number, secret)

    assert client_secret.startswith("dummy_pi_")
    assert body["order"]["payment"] == pending["payment"] == {
        "status": "pending", "gateway": "dummy", "amount": "30.00", "currency": "USD", "client_secret": client_secret}
    assert paid["payment"] == {"status": "succeeded", "gateway": "dummy", "amount": "30.00", "currency": "USD",
                               "client_secret": None}
    assert (pending["number"], pending["total"], len(pending["lines"])) == (number, "30.00", 1)


def test_a_replaced_or_expired_order_shows_no_client_secret(api):
    variant_with_stock("HP-1", price="12.50", on_hand=4)
    token = _cart(api, ("HP-1", 1))
    first = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "address": ADDRESS}).json()
    second = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "address": ADDRESS}).json()
    Order.objects.filter(number=second["order"]["number"]).update(reserved_until=timezone.now() - timedelta(seconds=1))

    replaced = _read(api, first["order"]["number"], first["order_secret"])
    expired = _read(api, second["order"]["number"], second["order_secret"])

    assert (replaced["status"], replaced["payment"]["status"], replaced["payment"]["client_secret"]) == (
        "cancelled", "cancelled", None)
    assert (expired["status"], expired["payment"]["status"], expired["payment"]["client_secret"]) == (
        "pending", "pending", None)


def test_a_free_order_shows_its_settled_payment_without_a_secret(api):
    variant_with_stock("HP-1", price="0.00", on_hand=4)
    token = _cart(api, ("HP-1", 1))

    body = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "fulfilment": "pickup"}).json()

    assert body["order"]["status"] == "paid"
    assert body["order"]["payment"] == {"status": "succeeded", "gateway": "free", "amount": "0.00",
                                        "currency": "USD", "client_secret": None}
