"""One in-flight rule for brand transfers and their reversals (``shop.services.supply_attempts``)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.models import SupplyReversalStatus, SupplyTransfer, SupplyTransferReversal, SupplyTransferStatus
from shop.models.supply import PaymentAttempt
from shop.services.supply_attempts import STALE_ATTEMPT, abandoned, count_attempt, in_flight

pytestmark = pytest.mark.django_db


def test_transfers_and_reversals_share_the_attempt_bookkeeping():
    for model in (SupplyTransfer, SupplyTransferReversal):
        assert issubclass(model, PaymentAttempt)
        assert {"attempts", "failure_message", "updated_at"} <= {field.name for field in model._meta.fields}


def test_an_attempt_is_in_flight_until_it_goes_stale(two_brand_order):
    order = two_brand_order[0]
    transfer = order.supply_transfers.order_by("pk").first()
    reversal = SupplyTransferReversal.objects.create(transfer=transfer, source_ref="refund:1", amount=Decimal("1.00"),
                                                     currency="USD", status=SupplyReversalStatus.TO_RECOVER)
    count_attempt(transfer, SupplyTransferStatus.SENDING)
    count_attempt(reversal, SupplyReversalStatus.RECOVERING)
    transfer.refresh_from_db()
    reversal.refresh_from_db()
    assert (transfer.status, transfer.attempts) == (SupplyTransferStatus.SENDING, 1)
    assert (reversal.status, reversal.attempts) == (SupplyReversalStatus.RECOVERING, 1)
    assert in_flight(transfer, SupplyTransferStatus.SENDING) is True
    assert in_flight(reversal, SupplyReversalStatus.RECOVERING) is True
    assert in_flight(transfer, SupplyTransferStatus.FAILED) is False
    later = timezone.now() + STALE_ATTEMPT + timedelta(seconds=1)
    assert in_flight(transfer, SupplyTransferStatus.SENDING, now=later) is False
    assert list(SupplyTransfer.objects.filter(abandoned(SupplyTransferStatus.SENDING, now=later))) == [transfer]
    assert list(SupplyTransfer.objects.filter(abandoned(SupplyTransferStatus.SENDING))) == []


URL = "/admin/shop/supply-attempts/"


@pytest.fixture
def failed_transfer(two_brand_order):
    """Brand A's transfer failed (no connected account); brand B's went through."""
    from shop.services.supply_settlement import pay_supply_transfers

    order, (brand_a, brand_b), creator, _line_a, _line_b = two_brand_order
    account = brand_a.stripe_account_id
    brand_a.stripe_account_id = ""
    brand_a.save()
    pay_supply_transfers(order_id=order.pk)
    brand_a.stripe_account_id = account
    brand_a.save()
    return order, brand_a, brand_b, creator, order.supply_transfers.get(payee_id=brand_a.pk)


def staff_client():
    from tests.factories import logged_in, make_user

    return logged_in(make_user(is_superuser=True))


def test_staff_see_the_failed_transfer_with_its_attempts_failure_order_brand_and_amount(failed_transfer):
    from shop.services.supply_retries import AttemptFilters, supply_attempts_to_watch

    order, brand_a, brand_b, _creator, transfer = failed_transfer
    [row] = supply_attempts_to_watch()
    assert (row.kind, row.id, row.status, row.attempts, row.order_number, row.brand_name, row.amount,
            row.currency) == ("transfer", transfer.pk, "failed", 1, order.number, "Alpha", Decimal("30.00"), "USD")
    assert row.failure_message.startswith("no_account:")
    assert supply_attempts_to_watch(AttemptFilters(kind="reversal")) == []
    assert supply_attempts_to_watch(AttemptFilters(brand_id=brand_b.pk)) == []
    assert [found.id for found in supply_attempts_to_watch(AttemptFilters(order_number=order.number.lower()))] == [
        transfer.pk]
    html = staff_client().get(URL + "?kind=transfer&status=failed").content.decode()
    assert f'data-attempt="transfer-{transfer.pk}"' in html and "no_account:" in html and "Retry now" in html


def editor_client():
    """A member of the Editors group as every migrate makes it: nothing granted by the test."""
    from tests.factories import logged_in, make_editor

    return logged_in(make_editor())


def test_retry_now_queues_the_attempt_for_that_row_under_its_key(failed_transfer, fake_connect):
    order, _brand_a, _brand_b, _creator, transfer = failed_transfer
    response = editor_client().post(URL, {"kind": "transfer", "id": str(transfer.pk)})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.status, transfer.attempts, transfer.failure_message) == (SupplyTransferStatus.PAID, 2, "")
    assert transfer.transfer_id.startswith("tr_")
    again = editor_client().post(URL, {"kind": "transfer", "id": str(transfer.pk)}, follow=True)
    assert "Nothing to retry" in again.content.decode()
    transfer.refresh_from_db()
    assert transfer.attempts == 2


def test_brand_users_and_creators_are_refused_the_screen_and_the_retry(failed_transfer):
    from django.test import Client

    from tests.factories import make_brand_user

    _order, brand_a, _brand_b, creator, transfer = failed_transfer
    for user in (make_brand_user("alpha-money", brand=brand_a), creator.user):
        client = Client()
        client.force_login(user)
        # Wagtail answers a refused admin view with a redirect to the dashboard and a message.
        refused = [client.get(URL), client.post(URL, {"kind": "transfer", "id": str(transfer.pk)})]
        assert [(response.status_code, response.url) for response in refused] == [(302, "/admin/")] * 2
    transfer.refresh_from_db()
    assert (transfer.status, transfer.attempts) == (SupplyTransferStatus.FAILED, 1)


def test_the_screen_costs_the_same_queries_for_one_row_or_several(failed_transfer, django_assert_num_queries):
    client = staff_client()
    client.get(URL)  # warm-up
    with django_assert_num_queries(10):
        client.get(URL)
    _order, _brand_a, _brand_b, _creator, transfer = failed_transfer
    for number in range(3):
        SupplyTransferReversal.objects.create(transfer=transfer, source_ref=f"refund:{number}", amount=Decimal("1.00"),
                                              currency="USD", status=SupplyReversalStatus.TO_RECOVER)
    with django_assert_num_queries(10):
        html = client.get(URL).content.decode()
    assert html.count('data-attempt="reversal-') == 3
