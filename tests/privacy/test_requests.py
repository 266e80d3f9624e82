"""Data-subject requests: filed through the API, verified through a one-time e-mailed link, carried out."""

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from privacy.models import DataSubjectRequest, RequestStatus
from privacy.services.requests import (
    confirm_request, file_request, file_verified_request, issue_verification_token, retry_deferred_requests,
)
from shop.models import Order, OrderStatus
from shop.services.buyer_identity import buyer_key
from tests.creators.helpers import LineSpec, make_order
from tests.factories import make_product
from tests.privacy.helpers import ADA, give_to

pytestmark = pytest.mark.django_db


def ada_order(*, status=OrderStatus.FULFILLED, paid_days_ago=40):
    order = make_order(LineSpec(make_product()), email=ADA.email)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=paid_days_ago))
    order.refresh_from_db()
    return give_to(ADA, order, status=status)


def file_by_api(api, capture, kind="erase", email="Ada.Lovelace@Example.com"):
    with capture(execute=True):
        response = api.post("/privacy/requests", {"email": email, "kind": kind})
    return response


def token_from(mail) -> str:
    return re.search(r"/privacy/confirm/\?token=([\w-]+)", mail.body).group(1)


def test_filing_answers_202_and_mails_a_one_time_link(api, mailoutbox, django_capture_on_commit_callbacks):
    response = file_by_api(api, django_capture_on_commit_callbacks)

    request = DataSubjectRequest.objects.get()
    assert response.status_code == 202
    body = response.json()
    assert (body["kind"], body["status"], body["reason"]) == ("erase", "received", "")
    assert body["due_at"].startswith(request.due_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert abs(request.due_at - request.created_at - timedelta(days=30)) < timedelta(seconds=1)
    assert (request.status, request.channel, request.email, request.subject_key) == (
        "received", "api", "Ada.Lovelace@Example.com", ADA.subject.key)
    [mail] = mailoutbox
    assert mail.to == ["Ada.Lovelace@Example.com"]
    token = token_from(mail)
    assert token not in str(DataSubjectRequest.objects.values().get())
    assert len(request.token_hash) == 64 and request.token_expires_at - request.created_at > timedelta(hours=47)


def test_confirming_an_erasure_erases_and_closes_the_request_without_the_email(
        api, mailoutbox, django_capture_on_commit_callbacks):
    order = ada_order()
    file_by_api(api, django_capture_on_commit_callbacks)
    token = token_from(mailoutbox[0])

    response = api.post("/privacy/requests/confirm", {"token": token})

    request = DataSubjectRequest.objects.get()
    assert (response.status_code, response.json()["status"]) == (200, "done")
    assert (request.status, request.email, request.subject_key, request.token_hash) == (
        RequestStatus.DONE, "", ADA.subject.key, "")
    assert Order.objects.get(pk=order.pk).email == f"erased-{order.pk}@erased.invalid"
    again = api.post("/privacy/requests/confirm", {"token": token})
    assert (again.status_code, again.json()["code"]) == (404, "privacy_link_invalid")


def test_an_expired_link_does_nothing(api, mailoutbox, django_capture_on_commit_callbacks):
    ada_order()
    file_by_api(api, django_capture_on_commit_callbacks)
    token = token_from(mailoutbox[0])

    with pytest.raises(Exception) as expired:
        confirm_request(token, now=timezone.now() + timedelta(hours=49))

    assert expired.value.code == "privacy_link_invalid"
    assert DataSubjectRequest.objects.get().status == RequestStatus.RECEIVED
    assert Order.objects.get().email == ADA.email


def test_a_blocked_erasure_is_deferred_with_the_reason_then_done_by_the_daily_retry(
        api, mailoutbox, django_capture_on_commit_callbacks):
    order = ada_order(paid_days_ago=10)
    file_by_api(api, django_capture_on_commit_callbacks)

    response = api.post("/privacy/requests/confirm", {"token": token_from(mailoutbox[0])})

    until = (order.paid_at + timedelta(days=30)).strftime("%Y-%m-%d")
    assert response.json()["status"] == "deferred"
    assert response.json()["reason"] == f"Order {order.number} can be refunded until {until}."
    assert DataSubjectRequest.objects.get().email == "Ada.Lovelace@Example.com"  # needed for the retry

    assert retry_deferred_requests(now=timezone.now() + timedelta(days=19)) == 0
    assert retry_deferred_requests(now=timezone.now() + timedelta(days=21)) == 1

    request = DataSubjectRequest.objects.get()
    assert (request.status, request.email, request.reason) == (RequestStatus.DONE, "", "")
    assert Order.objects.get().shipping_name == ""


def test_confirming_an_export_answers_the_zip(api, mailoutbox, django_capture_on_commit_callbacks):
    order = ada_order()
    file_by_api(api, django_capture_on_commit_callbacks, kind="export")

    response = api.post("/privacy/requests/confirm", {"token": token_from(mailoutbox[0])})

    assert (response.status_code, response["Content-Type"]) == (200, "application/zip")
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"manifest.json", "orders.json", "orders.csv", "order_lines.csv", "data_subject_requests.json"} <= set(names)
    assert order.number in zipfile.ZipFile(io.BytesIO(response.content)).read("orders.csv").decode()
    assert DataSubjectRequest.objects.get().status == RequestStatus.DONE


@pytest.mark.parametrize("payload, code, field", [
    ({"email": "not-an-address", "kind": "erase"}, "invalid_email", "email"),
    ({"email": "ada@example.com", "kind": "forget"}, "invalid", "kind"),
    ({"email": "ada@example.com\x00", "kind": "erase"}, "invalid", "email"),
])
def test_bad_input_is_a_400_and_files_nothing(api, payload, code, field):
    response = api.post("/privacy/requests", payload)

    assert (response.status_code, response.json()["code"], response.json()["field"]) == (400, code, field)
    assert DataSubjectRequest.objects.count() == 0


def test_filing_is_rate_limited(api, settings):
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "privacy_request": "2/m"}
    statuses = [api.post("/privacy/requests", {"email": f"p{n}@example.com", "kind": "export"}).status_code
                for n in range(3)]

    assert statuses == [202, 202, 429]


@pytest.mark.parametrize("existing", [1, 5])
def test_filing_costs_the_same_queries_however_many_requests_exist(api, django_assert_num_queries, existing,
                                                                   settings):
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "privacy_request": "off"}
    for n in range(existing):
        api.post("/privacy/requests", {"email": f"warm{n}@example.com", "kind": "export"})

    with django_assert_num_queries(1):
        response = api.post("/privacy/requests", {"email": "ada@example.com", "kind": "erase"})

    assert response.status_code == 202


def test_a_signed_in_readers_request_is_carried_out_at_once():
    order = ada_order()

    outcome = file_verified_request(verified_email=ADA.email, kind="export")

    assert order.number in zipfile.ZipFile(io.BytesIO(outcome.archive)).read("orders.json").decode()
    assert (outcome.request.status, outcome.request.channel, outcome.request.email) == ("done", "reader", "")
    erased = file_verified_request(verified_email=ADA.email, kind="erase")
    assert (erased.request.status, Order.objects.get().shipping_name) == ("done", "")


@pytest.mark.parametrize("orders", [1, 4])
def test_confirming_an_erasure_costs_the_same_queries_however_many_orders(
        orders, django_assert_num_queries, settings):
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "privacy_request": "off"}
    client = Client()
    for _ in range(orders):
        ada_order()
    warm_order = make_order(LineSpec(make_product()), email="warm@example.com")
    Order.objects.filter(pk=warm_order.pk).update(
        status=OrderStatus.FULFILLED, buyer_key=buyer_key("warm@example.com"),
        paid_at=timezone.now() - timedelta(days=40))
    warm = issue_verification_token(file_request(email="warm@example.com", kind="erase"))
    client.post("/api/v1/privacy/requests/confirm", json.dumps({"token": warm}), content_type="application/json")
    token = issue_verification_token(file_request(email=ADA.email, kind="erase"))

    with django_assert_num_queries(18):
        response = client.post("/api/v1/privacy/requests/confirm", json.dumps({"token": token}),
                               content_type="application/json")

    assert (response.status_code, response.json()["status"]) == (200, "done")


def test_the_emailed_link_asks_before_it_acts_then_erases(client, mailoutbox, django_capture_on_commit_callbacks):
    order = ada_order()
    with django_capture_on_commit_callbacks(execute=True):
        file_request(email=ADA.email, kind="erase")
    token = token_from(mailoutbox[0])

    page = client.get(f"/privacy/confirm/?token={token}")
    assert (page.status_code, DataSubjectRequest.objects.get().status) == (200, "received")
    assert f'value="{token}"' in page.content.decode()

    done = client.post("/privacy/confirm/", {"token": token})
    again = client.post("/privacy/confirm/", {"token": token})

    assert (done.status_code, again.status_code) == (200, 404)
    assert "your personal data has been erased" in done.content.decode()
    assert Order.objects.get(pk=order.pk).shipping_name == ""
