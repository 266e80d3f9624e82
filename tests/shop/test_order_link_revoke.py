"""Staff revoke one order's private links (a confirmation mailed to the wrong address): the mailed link
stops opening the order, a link mailed afterwards works, and other orders' links are untouched."""

import pytest
from django.test import Client

from shop.services.checkout import confirm_payment
from shop.services.notifications import order_link_token, revoke_order_links
from tests.factories import make_user
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db


def _opens(token: str) -> int:
    return Client().get(f"/orders/open/{token}/").status_code


@pytest.fixture
def two_orders(shop_settings):
    variant_with_stock("HP-1", price="10.00", on_hand=5)
    order = confirm_payment(checkout(cart_with(("HP-1", 1))).order)
    other = confirm_payment(checkout(cart_with(("HP-1", 1)), email="bo@example.com").order)
    return order, other


def test_revoking_stops_the_orders_mailed_links_and_no_other(two_orders):
    order, other = two_orders
    mailed, others_link = order_link_token(order), order_link_token(other)

    revoke_order_links(order)

    assert order.link_generation == 1
    assert _opens(mailed) == 404
    assert _opens(order_link_token(order)) == 302  # a link mailed after the revocation opens it
    assert _opens(others_link) == 302


def test_staff_revoke_the_links_from_the_order_page(two_orders, client):
    order, _other = two_orders
    mailed = order_link_token(order)
    client.force_login(make_user("staff", is_staff=True, is_superuser=True))

    page = client.get(f"/admin/shop/orders/{order.pk}/refund/")
    response = client.post(f"/admin/shop/orders/{order.pk}/refund/", {"revoke_links": "1"})

    assert 'name="revoke_links"' in page.content.decode()
    assert response.status_code == 302 and response["Location"] == f"/admin/shop/orders/{order.pk}/refund/"
    assert _opens(mailed) == 404
    order.refresh_from_db()
    assert (order.link_generation, order.status) == (1, "paid")
