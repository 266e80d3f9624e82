"""A signed-in reader asks for their own data, or its erasure, from their account (privacy API)."""

import io
import json
import zipfile

import pytest

from privacy.models import DataSubjectRequest, RequestStatus
from readers.models import Reader
from shop.models import Order, OrderStatus
from tests.creators.helpers import LineSpec, make_order
from tests.factories import make_product
from tests.readers.helpers import post_json, sign_in

pytestmark = pytest.mark.django_db

ADA = "ada@example.com"


def test_a_signed_in_reader_exports_their_data_at_once(client, ask):
    order = make_order(LineSpec(make_product()), email="Ada+shop@Example.com")
    sign_in(client, ask, ADA)

    response = post_json(client, "/api/v1/privacy/requests/mine", {"kind": "export"})

    assert (response.status_code, response["Content-Type"]) == (200, "application/zip")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    orders = json.loads(archive.read("orders.json"))
    assert [row["number"] for row in orders] == [order.number]
    accounts = json.loads(archive.read("reader_account.json"))
    assert [row["record"] for row in accounts] == ["reader_account"]
    assert DataSubjectRequest.objects.get().status == RequestStatus.DONE


def test_a_signed_in_readers_erasure_signs_them_out_and_erases_their_orders(client, ask):
    order = make_order(LineSpec(make_product()), email=ADA)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    sign_in(client, ask, ADA)

    response = post_json(client, "/api/v1/privacy/requests/mine", {"kind": "erase"})

    assert (response.status_code, response.json()["status"]) == (200, "done")
    assert Order.objects.get(pk=order.pk).email == f"erased-{order.pk}@erased.invalid"
    assert Reader.objects.get().email.endswith("@erased.invalid")
    assert client.get("/api/v1/account").status_code == 401


def test_asking_without_signing_in_or_for_nothing_known_changes_nothing(client, ask):
    assert post_json(client, "/api/v1/privacy/requests/mine", {"kind": "erase"}).status_code == 401
    sign_in(client, ask, ADA)
    response = post_json(client, "/api/v1/privacy/requests/mine", {"kind": "forget-me"})
    assert response.status_code == 400
    assert response.json()["field"] == "kind"
    assert DataSubjectRequest.objects.count() == 0
