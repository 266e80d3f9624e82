"""Issue 16 item 7: a front-end developer can build from the commerce API's OpenAPI document."""

import pytest

from settings.api_docs import OPERATIONS

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_operation_has_a_description_and_documents_its_4xx_with_codes(document):
    operations = list(_operations(document))
    assert len(operations) == len(OPERATIONS) == 36
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation["operationId"] in OPERATIONS, where
        assert len(operation.get("description", "")) > 20, where
        client_errors = {status: response for status, response in operation["responses"].items()
                         if status.startswith("4")}
        assert "400" in client_errors, where
        for status, response in client_errors.items():
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, where
            assert "Codes: `" in response["description"], (where, status)


def test_the_error_schema_is_code_message_field(document):
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message", "field"]
    assert set(error["properties"]) == {"code", "message", "field"}


def test_shared_error_codes_are_listed_per_operation(document):
    add_line = document["paths"]["/api/v1/carts/{token}/lines"]["post"]["responses"]
    assert add_line["404"]["description"] == "Not found. Codes: `cart_not_found`."
    assert add_line["429"]["description"] == "Too many requests (see `Retry-After`). Codes: `rate_limited`."
    assert "`promotion_ended`" in add_line["409"]["description"]
    assert add_line["400"]["description"].startswith("Bad input. Codes: `invalid`, `control_characters`, `unknown_sku`")
    checkout = document["paths"]["/api/v1/carts/{token}/checkout"]["post"]["responses"]
    assert "`address_incomplete`" in checkout["400"]["description"]
    assert "`unknown_voucher`" in checkout["400"]["description"]


def test_the_buy_link_to_cart_flow_is_documented_with_an_example(document):
    description = document["paths"]["/api/v1/carts/{token}/lines"]["post"]["description"]
    assert "`ref` → `attribution`" in description and "`deal` → `promotion`" in description
    assert '{"sku": "LAMP-01", "quantity": 1, "attribution": ' in description


def test_one_trailing_slash_convention_and_the_other_spelling_still_answers(document, client):
    assert all(not path.endswith("/") for path in document["paths"])
    assert client.post("/api/v1/carts", content_type="application/json").status_code == 201
    assert client.post("/api/v1/carts/", content_type="application/json").status_code == 201


def test_interactive_docs_load_only_vendored_assets(client):
    html = client.get("/api/v1/docs").content.decode()
    assert '<script src="/static/ninja/swagger-ui-bundle.js"></script>' in html
    assert "cdn" not in html.lower() and "https://" not in html
