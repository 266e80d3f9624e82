"""Hostile input to the commerce API and the reader's checkout: always a 4xx JSON (or a form error),
nothing stored, never a 500 or an HTML page. Run on PostgreSQL too: NUL and over-long text only
fail there (SQLite stores both)."""

import json

import pytest
from django.test import Client

from shop.models import Cart, CartLine, Order
from shop.validation import CONTROL_CHARACTERS_MESSAGE, row_id
from tests.shop.helpers import variant_with_stock

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Ada Reader", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345",
           "country": "US"}


@pytest.fixture(autouse=True)
def _settings(shop_settings):
    return shop_settings


@pytest.fixture
def cart_token(api) -> str:
    variant_with_stock("HP-1", price="10.00", on_hand=5)
    token = api.post("/carts/").json()["token"]
    assert api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1}).status_code == 201
    return token


def _error(response) -> tuple[int, str, dict]:
    return response.status_code, response["Content-Type"].split(";")[0], response.json()


def _control(field: str) -> dict:
    return {"code": "invalid", "message": CONTROL_CHARACTERS_MESSAGE, "field": field}


def test_nul_in_a_path_segment_is_a_400_naming_the_path(api, cart_token):
    responses = [api.get("/carts/ab%00cd"), api.patch(f"/carts/{cart_token}/lines/HP%001", {"quantity": 2}),
                 api.delete(f"/carts/{cart_token}/lines/HP-1%00"), api.get("/orders/KS-%00")]

    assert [_error(response) for response in responses] == [(400, "application/json", _control("path"))] * 4
    assert CartLine.objects.get().quantity == 1


def test_nul_in_a_query_value_is_refused_on_every_path(api, client):
    api_response = client.get("/api/v1/offers", {"skus": "HP-1\x00"})
    page_response = client.get("/admin/login/", {"next": "/\x00"})

    assert _error(api_response) == (400, "application/json", _control("skus"))
    assert (page_response.status_code, page_response.content.decode()) == (400, CONTROL_CHARACTERS_MESSAGE)


def test_nul_in_a_buy_link_sku_is_refused_before_the_database(client):
    response = client.get("/buy/HP%001/")

    assert response.status_code == 400
    assert Cart.objects.count() == 0


@pytest.mark.parametrize("payload, field", [
    ({"sku": "HP\x00-1"}, "sku"),
    ({"sku": "HP-1", "attribution": "a\x00b"}, "attribution"),
])
def test_nul_in_a_line_is_refused(api, cart_token, payload, field):
    response = api.post(f"/carts/{cart_token}/lines", payload)

    assert response.status_code == 400
    assert {key: response.json()[key] for key in ("code", "field")} == {"code": "invalid", "field": field}
    assert response.json()["message"] == f"Value error, {CONTROL_CHARACTERS_MESSAGE}"
    assert CartLine.objects.get().quantity == 1


@pytest.mark.parametrize("payload, field", [
    ({"email": "ada@example.com", "voucher_code": "SAVE\x0010", "address": ADDRESS}, "voucher_code"),
    ({"email": "ada@example.com", "address": {**ADDRESS, "line1": "1 Main\x00St"}}, "address.line1"),
    ({"email": "ada\x00@example.com", "address": ADDRESS}, "email"),
])
def test_nul_in_checkout_input_is_refused(api, cart_token, payload, field):
    response = api.post(f"/carts/{cart_token}/checkout", payload)

    assert (response.status_code, response.json()["code"], response.json()["field"]) == (400, "invalid", field)
    assert Order.objects.count() == 0


@pytest.mark.parametrize("payload, field, limit", [
    ({"email": "a" * 243 + "@example.com", "address": ADDRESS}, "email", 254),
    ({"email": "ada@example.com", "address": {**ADDRESS, "line1": "x" * 201}}, "address.line1", 200),
    ({"email": "ada@example.com", "address": {**ADDRESS, "postal_code": "1" * 21}}, "address.postal_code", 20),
    ({"email": "ada@example.com", "address": {**ADDRESS, "country": "USA"}}, "address.country", 2),
    ({"email": "ada@example.com", "address": ADDRESS, "voucher_code": "V" * 41}, "voucher_code", 40),
])
def test_text_longer_than_its_column_is_refused(api, cart_token, payload, field, limit):
    response = api.post(f"/carts/{cart_token}/checkout", payload)

    assert response.status_code == 400
    assert {key: response.json()[key] for key in ("code", "message", "field")} == {
        "code": "invalid", "message": f"String should have at most {limit} characters", "field": field}
    assert Order.objects.count() == 0


def test_a_quantity_beyond_an_integer_column_is_refused(api, cart_token):
    response = api.patch(f"/carts/{cart_token}/lines/HP-1", {"quantity": 2**63})

    assert (response.status_code, response.json()["code"], response.json()["field"]) == (400, "invalid", "quantity")
    assert CartLine.objects.get().quantity == 1


def test_post_carts_without_the_trailing_slash_creates_a_cart(client):
    without = client.post("/api/v1/carts", content_type="application/json")
    with_slash = client.post("/api/v1/carts/", content_type="application/json")

    assert (without.status_code, with_slash.status_code) == (201, 201)
    assert Cart.objects.count() == 2


def test_a_trailing_slash_after_a_canonical_path_reaches_the_same_endpoint(api, cart_token):
    response = api.get(f"/carts/{cart_token}/")

    assert (response.status_code, response.json()["token"]) == (200, cart_token)


def test_an_unknown_api_path_is_a_json_404(client):
    responses = [client.get("/api/v1/nope"), client.post("/api/v1/carts/x/y/z", content_type="application/json")]

    assert [_error(response) for response in responses] == [(404, "application/json", {
        "code": "not_found", "message": "No such endpoint; the API's paths are listed in /api/v1/openapi.json.",
        "field": None})] * 2


def test_a_wrong_method_is_a_json_405_with_allow(client, cart_token):
    response = client.put(f"/api/v1/carts/{cart_token}", "{}", content_type="application/json")

    assert _error(response) == (405, "application/json", {
        "code": "method_not_allowed", "message": "This method is not allowed here.", "field": None})
    assert response["Allow"] == "GET"


def test_a_body_over_the_upload_limit_is_a_json_413(client, cart_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"sku": "HP-1", "quantity": 1, "attribution": "x" * 2000})

    response = client.post(f"/api/v1/carts/{cart_token}/lines", body, content_type="application/json")

    assert _error(response) == (413, "application/json", {
        "code": "too_large", "message": "The request body is too large.", "field": None})
    assert CartLine.objects.get().quantity == 1


def test_a_form_encoded_body_is_a_json_415(client, cart_token):
    response = client.post(f"/api/v1/carts/{cart_token}/lines", {"sku": "HP-1", "quantity": "1"})

    assert _error(response) == (415, "application/json", {
        "code": "unsupported_media_type",
        "message": "Send request bodies as JSON (Content-Type: application/json).", "field": None})
    assert CartLine.objects.get().quantity == 1


def test_a_body_that_is_not_json_is_a_json_400(client, cart_token):
    response = client.post(f"/api/v1/carts/{cart_token}/lines", "{sku", content_type="application/json")

    assert _error(response) == (400, "application/json", {
        "code": "http_error", "message": "Cannot parse request body", "field": None})


def _reader_at_checkout() -> Client:
    variant_with_stock("HP-1", on_hand=3)
    reader = Client()
    reader.get("/buy/HP-1/")
    return reader


@pytest.mark.parametrize("form, message", [
    ({"email": "a" * 243 + "@example.com", **ADDRESS},
     "Email: Ensure this value has at most 254 characters (it has 255)."),
    ({"email": "ada@example.com", **ADDRESS, "line1": "x" * 201},
     "Address: Ensure this value has at most 200 characters (it has 201)."),
    ({"email": "ada@example.com", **ADDRESS, "city": "Spring\x00field"}, f"City: {CONTROL_CHARACTERS_MESSAGE}"),
    ({"email": "ada@example.com", **ADDRESS, "voucher_code": "V" * 41},
     "Voucher code: Ensure this value has at most 40 characters (it has 41)."),
])
def test_the_reader_checkout_form_shows_length_and_nul_errors(form, message):
    reader = _reader_at_checkout()

    response = reader.post("/checkout/", {"fulfilment": "shipping", **form})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Order.objects.count() == 0


def test_the_reader_cart_form_refuses_a_nul_sku():
    reader = _reader_at_checkout()

    response = reader.post("/cart/", {"sku": "HP-1\x00", "quantity": "2"}, follow=True)

    assert response.status_code == 200
    assert CartLine.objects.get().quantity == 1


def test_the_openapi_document_publishes_the_column_limits_and_the_slash_convention(client):
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]

    assert schemas["CheckoutIn"]["properties"]["email"]["maxLength"] == 254
    assert schemas["AddressIn"]["properties"]["line1"]["maxLength"] == 200
    assert schemas["AddLineIn"]["properties"]["sku"]["maxLength"] == 64
    assert schemas["UpdateLineIn"]["properties"]["quantity"]["maximum"] == 2**31 - 1
    assert "with or without its trailing slash" in document["info"]["description"]


@pytest.mark.parametrize("query", ["deal=%C2%B2", "listing=%D9%A3", "deal=1%C2%B2", "listing=99999999999999999999"])
def test_a_buy_link_with_unicode_or_huge_ids_adds_the_product_at_the_list_price(query):
    """``str.isdigit`` passes "²" and "٣" (int refuses the first, reads the second as 3): ids are ASCII digits."""
    variant_with_stock("HP-1", on_hand=3)
    reader = Client()

    response = reader.get(f"/buy/HP-1/?{query}")

    assert response.status_code == 302
    assert [(line.variant.sku, line.promotion_id, line.listing_id) for line in CartLine.objects.all()] == [
        ("HP-1", None, None)]


@pytest.mark.parametrize("value, expected", [("12", 12), ("²", None), ("٣", None), ("-1", None), ("", None),
                                             ("1" * 19, None), (None, None), ("0012", 12)])
def test_a_row_id_is_ascii_digits_only(value, expected):
    assert row_id(value) == expected
