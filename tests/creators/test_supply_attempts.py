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
