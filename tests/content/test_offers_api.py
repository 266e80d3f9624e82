"""Live price and stock for many SKUs: GET /api/v1/offers?skus=…, and the one OpenAPI document."""

import pytest
from openapi_spec_validator import validate

from shop.models import ProductStatus
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_offers_for_many_skus_in_at_most_two_queries(client, django_assert_max_num_queries):
    make_product(variants=[("HP-1", "199.00", 30), ("HP-2", "149.00", 3)])
    make_product(variants=[("OLD-1", "10.00", 5)], status=ProductStatus.ARCHIVED)
    make_product(variants=[("POP-1", "20.00", 0)])
    client.get("/api/v1/offers?skus=HP-1")  # warm-up

    with django_assert_max_num_queries(2):
        response = client.get("/api/v1/offers?skus=HP-1,HP-2,OLD-1,POP-1,NOPE-1,HP-1")

    assert response.status_code == 200
    offers = {offer["sku"]: offer for offer in response.json()["offers"]}
    assert list(offers) == ["HP-1", "HP-2", "OLD-1", "POP-1", "NOPE-1"]
    hp1 = offers["HP-1"]
    assert hp1 == {
        "sku": "HP-1", "product_id": hp1["product_id"], "variant_id": hp1["variant_id"], "available": True,
        "unavailable_reason": None, "price": "199.00", "compare_at_price": None, "currency": "USD",
        "stock": {"level": "in_stock", "quantity": None},
    }
    assert offers["HP-2"]["stock"] == {"level": "low_stock", "quantity": 3}
    assert [(offers[sku]["available"], offers[sku]["unavailable_reason"]) for sku in ("OLD-1", "POP-1", "NOPE-1")] == [
        (False, "archived"), (False, "sold_out"), (False, "deleted"),
    ]
    assert offers["NOPE-1"]["price"] is None and offers["NOPE-1"]["stock"] == {"level": "out_of_stock", "quantity": None}


def test_the_query_count_does_not_grow_with_the_number_of_skus(client, django_assert_num_queries):
    skus = [f"SKU-{number}" for number in range(60)]
    for sku in skus:
        make_product(variants=[(sku, "5.00", 9)])
    client.get("/api/v1/offers?skus=SKU-0")

    with django_assert_num_queries(1):
        small = client.get("/api/v1/offers?skus=" + ",".join(skus[:3]))
    with django_assert_num_queries(1):
        large = client.get("/api/v1/offers?skus=" + ",".join(skus))

    assert len(small.json()["offers"]) == 3 and len(large.json()["offers"]) == 60


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("skus=", "invalid"),
        ("skus=A,,B", "invalid"),
        ("skus=bad%20sku", "invalid"),
        ("skus=" + ",".join(f"S{number}" for number in range(101)), "too_many"),
    ],
)
def test_malformed_or_too_many_skus_are_a_400_naming_skus(client, query, code):
    response = client.get(f"/api/v1/offers?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["field"] == "skus"


def test_missing_skus_is_a_400_naming_skus(client):
    response = client.get("/api/v1/offers")

    assert response.status_code == 400
    assert response.json()["field"] == "skus"


def test_the_commerce_openapi_document_is_valid_and_lists_offers(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert "/api/v1/offers" in document["paths"]
    assert document["info"]["version"] == "1"


def test_active_reservations_are_not_available_but_expired_ones_are(client):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from shop.models import Order, StockReservation

    variant = make_product(variants=[("HP-1", "199.00", 10)]).variants.get()

    def order() -> Order:
        return Order.objects.create(
            currency="USD", subtotal=Decimal("1.00"), total=Decimal("1.00"), email="ada@example.com", fulfilment_method="shipping"
        )

    now = timezone.now()
    StockReservation.objects.create(variant=variant, order=order(), quantity=6, expires_at=now + timedelta(minutes=10))
    StockReservation.objects.create(variant=variant, order=order(), quantity=2, expires_at=now + timedelta(minutes=5))
    StockReservation.objects.create(variant=variant, order=order(), quantity=2, expires_at=now - timedelta(minutes=1))

    offer = client.get("/api/v1/offers?skus=HP-1").json()["offers"][0]

    assert (offer["available"], offer["stock"]) == (True, {"level": "low_stock", "quantity": 2})
