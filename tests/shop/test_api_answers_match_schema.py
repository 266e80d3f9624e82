"""The cart and order endpoints answer without ninja validating their payload through the response schema
(``shop.api.schemas.json_answer``): each real answer must still be exactly what that validation would render,
and valid against the schema the OpenAPI document declares for its status."""

import json
from datetime import timedelta

import jsonschema
import pytest
from django.urls import resolve
from django.utils import timezone

from settings.api import api as commerce_api
from shop.attribution import Attribution, sign_attribution
from shop.models import Promotion
from tests.factories import make_deal
from tests.shop.helpers import variant_with_stock

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Ada Reader", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}


@pytest.fixture(autouse=True)
def _settings(shop_settings):
    return shop_settings


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").json()


def _operation(method: str, path: str):
    """The ninja operation serving ``method path`` (its PathView is the URL's view closure)."""
    view = resolve(path).func
    path_view = next(cell.cell_contents for cell in view.__closure__ if hasattr(cell.cell_contents, "operations"))
    return next(operation for operation in path_view.operations if method in operation.methods)


def _as_ninja_renders_it(method: str, path: str, status: int, body) -> bytes:
    """``body`` validated through the operation's declared response model and rendered, as ninja does."""
    model = _operation(method, path).response_models[status]
    validated = model.model_validate({"response": body}).model_dump()["response"]
    return commerce_api.renderer.render(None, validated, response_status=status).encode()


def _check(document, response, method: str, template: str, path: str) -> dict:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert response.content == _as_ninja_renders_it(method, f"/api/v1{path}", response.status_code, body)
    declared = document["paths"][f"/api/v1{template}"][method.lower()]["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**schema, "components": document["components"]})
    return body


def test_every_cart_and_order_answer_is_what_its_schema_renders(api, client, document):
    variant_with_stock("HP-1", price="49.90", on_hand=7)
    deal_variant = variant_with_stock("HP-2", price="124.99", on_hand=5)
    deal = make_deal(deal_variant, price="99.00")
    variant_with_stock("PK-1", price="5.00", on_hand=5)
    variant_with_stock("FREE-1", price="0.00", on_hand=5)
    answers = []

    def call(method, template, path, payload=None, **headers):
        response = getattr(api, method.lower())(path, **({} if payload is None and method != "PATCH" else
                                                         {"payload": payload}), **headers)
        assert response.status_code in (200, 201), response.content
        answers.append((template, response.status_code))
        return _check(document, response, method, template, path)

    # A shipped order of two lines: one attributed, one at a deal; a line changed and one removed on the way.
    token = call("POST", "/carts", "/carts")["token"]
    ref = sign_attribution(Attribution(creator_id=3, page_id=41, block_id="blk-9", click_id=77), sku="HP-1")
    call("POST", "/carts/{token}/lines", f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2, "attribution": ref})
    with_deal = call("POST", "/carts/{token}/lines", f"/carts/{token}/lines", {"sku": "HP-2", "promotion": deal.pk})
    assert with_deal["lines"][1]["promotion"]["applied"] is True
    call("POST", "/carts/{token}/lines", f"/carts/{token}/lines", {"sku": "PK-1"})
    call("PATCH", "/carts/{token}/lines/{sku}", f"/carts/{token}/lines/HP-1", {"quantity": 3})
    call("DELETE", "/carts/{token}/lines/{sku}", f"/carts/{token}/lines/PK-1")
    # The deal ends before checkout: the line shows it not applied, with its refusal.
    Promotion.objects.filter(pk=deal.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    ended = call("GET", "/carts/{token}", f"/carts/{token}")
    assert ended["lines"][1]["promotion"]["applied"] is False and ended["lines"][1]["promotion"]["refusal"]
    call("DELETE", "/carts/{token}/lines/{sku}", f"/carts/{token}/lines/HP-2")
    placed = call("POST", "/carts/{token}/checkout", f"/carts/{token}/checkout",
                  {"email": "ada@example.com", "fulfilment": "shipping", "address": ADDRESS})
    number, secret = placed["order"]["number"], placed["order_secret"]
    assert placed["order"]["reserved_until"] is not None and placed["payment"]["client_secret"]
    call("GET", "/orders/{number}", f"/orders/{number}", **{"X-Order-Secret": secret})
    paid = call("POST", "/orders/{number}/pay", f"/orders/{number}/pay", **{"X-Order-Secret": secret})
    assert paid["status"] == "paid" and paid["lines"][0]["line_total"] == "149.70"

    # A pickup order shows its code once paid; a free order is paid at checkout.
    token = call("POST", "/carts", "/carts")["token"]
    call("POST", "/carts/{token}/lines", f"/carts/{token}/lines", {"sku": "PK-1"})
    placed = call("POST", "/carts/{token}/checkout", f"/carts/{token}/checkout",
                  {"email": "bo@example.com", "fulfilment": "pickup"})
    paid = call("POST", "/orders/{number}/pay", f"/orders/{placed['order']['number']}/pay",
                **{"X-Order-Secret": placed["order_secret"]})
    assert paid["pickup_code"]
    token = call("POST", "/carts", "/carts")["token"]
    call("POST", "/carts/{token}/lines", f"/carts/{token}/lines", {"sku": "FREE-1"})
    free = call("POST", "/carts/{token}/checkout", f"/carts/{token}/checkout",
                {"email": "cy@example.com", "fulfilment": "pickup"})
    assert free["order"]["status"] == "paid" and free["order"]["payment"]["amount"] == "0.00"

    assert {template for template, _status in answers} == {
        "/carts", "/carts/{token}", "/carts/{token}/lines", "/carts/{token}/lines/{sku}", "/carts/{token}/checkout",
        "/orders/{number}", "/orders/{number}/pay"}


def test_money_the_service_left_as_a_plain_zero_renders_as_the_schema_makes_it():
    """A model's ``DecimalField(default=0)`` not read back from the database is the int 0: the schema's validation
    made it ``Decimal("0")``, rendered ``"0"``, and so must the answer built without it."""
    from decimal import Decimal

    from shop.api.schemas import json_answer, _money

    payload = {"amount": _money(0), "total": _money(Decimal("1.50"))}
    assert json_answer(payload).content == b'{"amount": "0", "total": "1.50"}'


def test_an_answers_money_and_moments_render_as_ninjas_encoder_renders_them():
    """``json_answer`` finds a Decimal's and a datetime's text first: it must be the text ninja's encoder gives
    (Django's rule: trailing zeros kept, exponents as ``str``, microseconds cut to milliseconds, UTC as ``Z``)."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from ninja.responses import NinjaJSONEncoder

    from shop.api.schemas import json_answer

    payload = {"money": [Decimal("12.50"), Decimal("0E-2"), Decimal("-3"), Decimal("1E+3")],
               "moments": [datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5),
                           datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.get_fixed_timezone(120))],
               "rest": {"text": "a", "none": None, "day": datetime(2026, 1, 2).date()}}
    assert json_answer(payload).content.decode() == json.dumps(payload, cls=NinjaJSONEncoder)
