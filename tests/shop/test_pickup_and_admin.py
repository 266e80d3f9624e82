"""Store pickup (one-time code, QR) and the staff views: refund and redemption in the admin."""

import pytest
from django.test import Client

from shop.api_edge import domain_error_status
from shop.errors import DomainError
from shop.models import Order, OrderStatus
from shop.services.checkout import confirm_payment
from shop.services.orders import pickup_code_for, redeem_pickup_code
from tests.factories import logged_in, make_brand_user, make_editor
from tests.shop.helpers import cart_with, checkout, on_hand, variant_with_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def pickup_order(shop_settings):
    variant_with_stock("HP-1", price="10.00", on_hand=3)
    return confirm_payment(checkout(cart_with(("HP-1", 1)), fulfilment="pickup").order)


@pytest.fixture
def staff():
    return make_editor("editor")


@pytest.fixture
def brand_user():
    return make_brand_user("brandrep")


def test_a_pickup_code_works_once(pickup_order, staff):
    code = pickup_code_for(pickup_order)

    order = redeem_pickup_code(code.lower(), actor=staff)

    assert (order.status, order.pickup_redeemed_by) == (OrderStatus.FULFILLED, staff)
    with pytest.raises(DomainError) as error:
        redeem_pickup_code(code, actor=staff)
    assert (error.value.code, domain_error_status(error.value)) == ("pickup_already_redeemed", 409)
    assert order.events.filter(type="pickup_redeemed").count() == 1


def test_an_unpaid_or_unknown_code_is_refused(shop_settings, staff):
    variant_with_stock("HP-1")
    pending = checkout(cart_with(("HP-1", 1)), fulfilment="pickup").order

    with pytest.raises(DomainError) as unpaid:
        redeem_pickup_code(pickup_code_for(pending), actor=staff)
    with pytest.raises(DomainError) as unknown:
        redeem_pickup_code("AAAAA-BBBBB", actor=staff)

    assert (unpaid.value.code, unknown.value.code) == ("pickup_not_ready", "unknown_pickup_code")
    assert Order.objects.get().pickup_redeemed_at is None


def test_staff_redeem_a_code_in_the_admin(pickup_order, staff):
    client = logged_in(staff)

    first = client.post("/admin/shop/pickup/", {"code": pickup_code_for(pickup_order)}, follow=True)
    second = client.post("/admin/shop/pickup/", {"code": pickup_code_for(pickup_order)}, follow=True)

    assert f"Order {pickup_order.number} handed over: 1 ×" in first.content.decode()
    assert "already redeemed" in second.content.decode()
    assert Order.objects.get().status == OrderStatus.FULFILLED


def test_staff_refund_per_line_with_restock_in_the_admin(pickup_order, staff):
    client = logged_in(staff)
    line = pickup_order.lines.get()

    page = client.get(f"/admin/shop/orders/{pickup_order.pk}/refund/")
    response = client.post(f"/admin/shop/orders/{pickup_order.pk}/refund/", {f"quantity-{line.pk}": "1", "restock": "on"})

    assert page.status_code == 200
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.status, str(order.amount_refunded), on_hand("HP-1")) == (OrderStatus.REFUNDED, "10.00", 3)


def test_the_order_listing_shows_orders_to_staff(pickup_order, staff):
    response = logged_in(staff).get("/admin/shop/order/")

    assert response.status_code == 200
    assert pickup_order.number in response.content.decode()


def test_brand_users_get_no_order_pages_and_never_see_buyers(pickup_order, brand_user):
    client = logged_in(brand_user)

    responses = [
        client.get("/admin/shop/order/"),
        client.get(f"/admin/shop/order/inspect/{pickup_order.pk}/"),
        client.get(f"/admin/shop/orders/{pickup_order.pk}/refund/"),
        client.get("/admin/shop/pickup/"),
        client.get("/admin/shop/payment/"),
    ]

    assert all(response.status_code in (302, 403) for response in responses)
    assert all(pickup_order.email not in response.content.decode() for response in responses)
    assert not brand_user.has_perm("shop.view_order")


def test_the_pickup_qr_image_is_served_to_the_buyers_session(shop_settings):
    variant_with_stock("HP-1", on_hand=3)
    buyer = Client()
    buyer.get("/buy/HP-1/")
    buyer.post("/checkout/", {"email": "ada@example.com", "fulfilment": "pickup"})
    order = Order.objects.get()

    image = buyer.get(f"/orders/{order.number}/pickup-qr.png")
    stranger = Client().get(f"/orders/{order.number}/pickup-qr.png")

    assert (image.status_code, image["Content-Type"], image.content[:8]) == (200, "image/png", b"\x89PNG\r\n\x1a\n")
    assert stranger.status_code == 404


def test_staff_tell_a_pickup_buyer_the_order_is_ready(pickup_order, staff, django_capture_on_commit_callbacks):
    from django.core import mail

    client = logged_in(staff)
    page = client.get(f"/admin/shop/orders/{pickup_order.pk}/refund/").content.decode()
    assert "Ready for pickup: tell the buyer" in page and "Mark shipped" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/shop/orders/{pickup_order.pk}/refund/", {"fulfil": "pickup_ready"})

    assert response.status_code == 302
    assert [message.subject for message in mail.outbox] == [f"Your order {pickup_order.number} is ready for pickup"]
    assert pickup_order.events.filter(type="pickup_ready", actor=staff).count() == 1


def test_staff_mark_a_shipping_order_shipped_and_the_buyer_is_told(shop_settings, staff, django_capture_on_commit_callbacks):
    from django.core import mail

    variant_with_stock("SH-1", price="10.00", on_hand=3)
    order = confirm_payment(checkout(cart_with(("SH-1", 1))).order)
    client = logged_in(staff)
    page = client.get(f"/admin/shop/orders/{order.pk}/refund/").content.decode()
    assert "Mark shipped and tell the buyer" in page and "Ready for pickup" not in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/shop/orders/{order.pk}/refund/", {"fulfil": "shipped"})
        again = client.post(f"/admin/shop/orders/{order.pk}/refund/", {"fulfil": "shipped"}, follow=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert [message.subject for message in mail.outbox] == [f"Your order {order.number} is on its way"]
    assert "Only paid orders can be fulfilled; this one is Fulfilled." in again.content.decode()
