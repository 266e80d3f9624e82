"""What settled refunds took of each order line (``shop.services.refunded_lines.refunded_by_line``): the one count
the voucher return and the ledgers' reversals read."""

from decimal import Decimal

import pytest

from shop.models import Refund, RefundLine, RefundStatus
from shop.services.checkout import confirm_payment
from shop.services.refunded_lines import Refunded, refunded_by_line
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db


def _refund(order, status: str, *lines: tuple, amount: str) -> Refund:
    refund = Refund.objects.create(payment=order.payments.get(), order=order, amount=Decimal(amount),
                                   currency=order.currency, status=status)
    RefundLine.objects.bulk_create([RefundLine(refund=refund, order_line=line, quantity=quantity,
                                               amount=Decimal(line_amount)) for line, quantity, line_amount in lines])
    return refund


def test_only_succeeded_refunds_count_per_line_summed_over_refunds(shop_settings, django_assert_num_queries):
    variant_with_stock("LIP-1", price="12.00", on_hand=10)
    variant_with_stock("PAL-1", price="30.00", on_hand=10)
    order = confirm_payment(checkout(cart_with(("LIP-1", 3), ("PAL-1", 2))).order)
    lip, palette = order.lines.get(variant__sku="LIP-1"), order.lines.get(variant__sku="PAL-1")
    first = _refund(order, RefundStatus.SUCCEEDED, (lip, 1, "12.00"), (palette, 1, "30.00"), amount="42.00")
    second = _refund(order, RefundStatus.SUCCEEDED, (lip, 1, "12.00"), amount="12.00")
    _refund(order, RefundStatus.PENDING, (lip, 1, "12.00"), amount="12.00")
    _refund(order, RefundStatus.FAILED, (palette, 1, "30.00"), amount="30.00")
    _refund(order, RefundStatus.SUCCEEDED, amount="5.00")  # no line: shipping, or a duplicate payment given back

    with django_assert_num_queries(1):
        everything = refunded_by_line(order.pk)

    assert everything == {lip.pk: Refunded(2, Decimal("24.00")), palette.pk: Refunded(1, Decimal("30.00"))}
    assert refunded_by_line(order.pk, refund_ids=[second.pk]) == {lip.pk: Refunded(1, Decimal("12.00"))}
    assert refunded_by_line(order.pk, refund_ids=[first.pk, second.pk]) == everything
    assert refunded_by_line(order.pk, refund_ids=[]) == {}
