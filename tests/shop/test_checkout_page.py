"""Issue 16 item 6: the reader's checkout names the missing field beside it, hides the address for
pickup, shows the total with shipping before paying and lists countries by name."""

import re

import pytest
from django.test import Client

from shop.models import Order
from tests.shop.helpers import variant_with_stock

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Ada Reader", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "DE"}


@pytest.fixture
def reader(shop_settings):
    variant_with_stock("HP-1", price="49.90", on_hand=3)
    client = Client()
    client.get("/buy/HP-1/")
    return client


def test_a_missing_address_part_is_named_next_to_its_input(reader):
    response = reader.post("/checkout/", {"email": "ada@example.com", "fulfilment": "shipping", **ADDRESS, "city": ""})

    html = response.content.decode()
    assert response.status_code == 200 and Order.objects.count() == 0
    assert re.search(r'<input id="city" name="city"[^>]*aria-invalid="true" aria-describedby="city-error">\s*'
                     r'<span class="field-error" id="city-error">Enter the city: it is required for shipping.</span>',
                     html)
    assert 'aria-invalid="true"' not in html.split('id="city"')[0]  # only the city is marked
    assert 'value="Ada Reader"' in html  # what was typed stays


def test_a_bad_email_is_named_next_to_the_email_input(reader):
    html = reader.post("/checkout/", {"email": "nope", "fulfilment": "pickup"}).content.decode()

    assert '<span class="field-error" id="email-error">Enter a valid email address.</span>' in html


def test_countries_by_name_and_the_total_with_shipping_before_paying(reader):
    html = reader.get("/checkout/").content.decode()

    options = re.findall(r'<option value="([A-Z]{2})" data-rate="([\d.]+)"[^>]*>([^<]+)</option>', html)
    assert options == [("DE", "7.50", "Germany (shipping 7.50 USD)"),
                       ("US", "5.00", "United States of America (shipping 5.00 USD)")]
    assert '<td id="checkout-shipping">7.50 USD</td>' in html
    assert '<strong id="checkout-total">57.40 USD</strong>' in html
    assert "Place order and pay 57.40 USD (demo payment)" in html


def test_the_total_for_pickup_has_no_shipping_and_the_address_is_shipping_only(reader):
    html = reader.post("/checkout/", {"email": "nope", "fulfilment": "pickup"}).content.decode()

    assert '<td id="checkout-shipping">0.00 USD</td>' in html
    assert '<strong id="checkout-total">49.90 USD</strong>' in html
    assert '<fieldset class="shipping-address" data-shipping-only>' in html


def test_a_pickup_order_needs_no_address(reader):
    response = reader.post("/checkout/", {"email": "ada@example.com", "fulfilment": "pickup"})

    order = Order.objects.get()
    assert response["Location"] == f"/orders/{order.number}/"
    assert (order.fulfilment_method, order.shipping_line1, str(order.total)) == ("pickup", "", "49.90")


def test_the_order_page_shows_the_shipping_address_with_the_country_name(reader):
    placed = reader.post("/checkout/", {"email": "ada@example.com", "fulfilment": "shipping", **ADDRESS})

    html = reader.get(placed["Location"]).content.decode()

    assert "<address>Ada Reader<br>1 Main St<br>12345 Springfield<br>Germany</address>" in html
    assert "57.40 USD" in html
