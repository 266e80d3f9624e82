"""The demo's buying pages: a buy link with attribution → cart → checkout → paid confirmation."""

from decimal import Decimal

import pytest
from django.test import Client

from shop.attribution import Attribution, buy_path
from shop.models import CartLine, Order, OrderStatus
from tests.shop.helpers import on_hand, variant_with_stock

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Ada Reader", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
           "country": "US"}


def test_a_reader_buys_from_a_buy_link_end_to_end_with_the_dummy_gateway(shop_settings):
    variant_with_stock("HP-1", price="49.90", on_hand=3)
    reader = Client()

    added = reader.get(buy_path("HP-1", Attribution(creator_id=5, page_id=12, block_id="blk-1")))
    cart_page = reader.get("/cart/")
    checkout_page = reader.get("/checkout/")
    placed = reader.post("/checkout/", {"email": "ada@example.com", "fulfilment": "shipping", **ADDRESS})
    order = Order.objects.get()
    confirmation = reader.get(placed["Location"])

    assert (added.status_code, added["Location"]) == (302, "/cart/")
    assert "49.90 USD" in cart_page.content.decode()
    assert checkout_page.status_code == 200
    assert placed["Location"] == f"/orders/{order.number}/"
    assert "Paid" in confirmation.content.decode()
    assert (order.status, order.total) == (OrderStatus.PAID, Decimal("54.90"))
    assert list(order.lines.values_list("sku", "creator_id", "page_id", "block_id")) == [("HP-1", 5, 12, "blk-1")]
    assert on_hand("HP-1") == 2


def test_a_tampered_ref_still_adds_the_item_without_credit(shop_settings):
    variant_with_stock("HP-1")

    Client().get("/buy/HP-1/?ref=forged")

    assert list(CartLine.objects.values_list("quantity", "creator_id")) == [(1, None)]


def test_a_buy_link_for_an_unknown_sku_shows_a_message(shop_settings):
    response = Client().get("/buy/NOPE/", follow=True)

    assert "No product has the SKU" in response.content.decode()
    assert CartLine.objects.count() == 0


def test_checkout_errors_are_shown_on_the_form(shop_settings):
    variant_with_stock("HP-1")
    reader = Client()
    reader.get("/buy/HP-1/")

    response = reader.post("/checkout/", {"email": "nope", "fulfilment": "shipping", **ADDRESS})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert Order.objects.count() == 0


def test_the_buy_url_tag_signs_the_attribution(shop_settings):
    from urllib.parse import unquote

    from django.template import Context, Template

    from shop.attribution import InvalidAttribution, read_attribution

    rendered = Template("{% load shop_buy %}{% buy_url 'HP-1' creator_id=5 page_id=12 block_id='b1' %}").render(
        Context())

    path, _, query = rendered.partition("?ref=")
    assert path == "/buy/HP-1/"
    assert read_attribution(unquote(query), sku="HP-1") == Attribution(creator_id=5, page_id=12, block_id="b1")
    with pytest.raises(InvalidAttribution, match="issued for another product"):
        read_attribution(unquote(query), sku="EB-1")


def test_a_pending_stripe_order_page_mounts_the_payment_element(stripe_settings, monkeypatch):
    from shop.payments.gateway import IntentResult
    from shop.payments.stripe_api import StripeGateway

    monkeypatch.setattr(StripeGateway, "create_intent", lambda self, **kwargs: IntentResult(
        intent_id="pi_123", client_secret="pi_123_secret_abc", succeeded=False))
    variant_with_stock("HP-1")
    reader = Client()
    reader.get("/buy/HP-1/")

    placed = reader.post("/checkout/", {"email": "ada@example.com", "fulfilment": "pickup"})
    page = reader.get(placed["Location"]).content.decode()

    assert 'data-client-secret="pi_123_secret_abc"' in page
    assert 'data-publishable-key="pk_test_kolshop"' in page
    assert Order.objects.get().status == OrderStatus.PENDING
