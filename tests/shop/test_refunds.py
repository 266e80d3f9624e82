"""Refunds: full or per line, through the gateway, with optional restocking."""

from decimal import Decimal

import pytest

from shop.api_edge import domain_error_status
from shop.errors import DomainError
from shop.models import OrderStatus, Payment, Refund, RefundStatus
from shop.services.checkout import confirm_payment
from shop.services.refunds import refund_order
from tests.shop.helpers import cart_with, checkout, on_hand, variant_with_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(shop_settings):
    """3 × A at 10.00 and 1 × B at 4.00, shipped to the US for 5.00: 39.00 paid with the dummy gateway."""
    variant_with_stock("A-1", price="10.00", on_hand=5)
    variant_with_stock("B-1", price="4.00", on_hand=5)
    order = confirm_payment(checkout(cart_with(("A-1", 3), ("B-1", 1))).order)
    assert (order.status, order.total, on_hand("A-1"), on_hand("B-1")) == (OrderStatus.PAID, Decimal("39.00"), 2, 4)
    return order


def _line(order, sku):
    return order.lines.get(sku=sku)


def test_a_partial_refund_per_line_with_restock(paid_order):
    line = _line(paid_order, "A-1")

    refund = refund_order(paid_order, quantities={line.pk: 2}, restock=True)

    paid_order.refresh_from_db()
    line.refresh_from_db()
    assert (refund.amount, refund.status, refund.gateway_refund_id[:9]) == (Decimal("20.00"), RefundStatus.SUCCEEDED,
                                                                            "dummy_re_")
    assert (paid_order.status, paid_order.amount_refunded) == (OrderStatus.PARTIALLY_REFUNDED, Decimal("20.00"))
    assert (line.refunded_quantity, line.refunded_amount) == (2, Decimal("20.00"))
    assert (on_hand("A-1"), on_hand("B-1")) == (4, 4)
    assert list(paid_order.events.values_list("type", flat=True))[-3:] == ["refund_requested", "restocked", "refunded"]


def test_a_refund_without_restock_leaves_stock_alone(paid_order):
    refund_order(paid_order, quantities={_line(paid_order, "B-1").pk: 1})

    assert (on_hand("A-1"), on_hand("B-1")) == (2, 4)


def test_a_full_refund_returns_everything_left_including_shipping(paid_order):
    refund_order(paid_order, quantities={_line(paid_order, "A-1").pk: 1})

    refund = refund_order(paid_order, restock=True)

    paid_order.refresh_from_db()
    assert (refund.amount, refund.includes_shipping) == (Decimal("29.00"), True)
    assert (paid_order.status, paid_order.amount_refunded) == (OrderStatus.REFUNDED, Decimal("39.00"))
    assert Payment.objects.get().amount_refunded == Decimal("39.00")
    assert (on_hand("A-1"), on_hand("B-1")) == (4, 5)


@pytest.mark.parametrize(("quantity", "code"), [(0, "invalid_quantity"), (4, "invalid_quantity"), (-1, "invalid_quantity")])
def test_refunding_more_than_was_bought_is_refused_and_changes_nothing(paid_order, quantity, code):
    with pytest.raises(DomainError) as error:
        refund_order(paid_order, quantities={_line(paid_order, "A-1").pk: quantity})

    assert error.value.code == code
    assert Refund.objects.count() == 0
    assert _line(paid_order, "A-1").refunded_quantity == 0


def test_a_refunded_unit_cannot_be_refunded_twice(paid_order):
    line = _line(paid_order, "B-1")
    refund_order(paid_order, quantities={line.pk: 1})

    with pytest.raises(DomainError) as error:
        refund_order(paid_order, quantities={line.pk: 1})

    assert error.value.code == "invalid_quantity"
    assert Refund.objects.count() == 1


def test_a_pending_order_cannot_be_refunded(shop_settings):
    variant_with_stock("A-1")
    order = checkout(cart_with(("A-1", 1))).order

    with pytest.raises(DomainError) as error:
        refund_order(order)

    assert (error.value.code, domain_error_status(error.value)) == ("not_refundable", 409)


def test_a_gateway_failure_marks_the_refund_failed_and_frees_the_quantities(paid_order, monkeypatch):
    from shop.payments.dummy import DummyGateway
    from shop.payments.gateway import PaymentGatewayError

    def refuse(self, *args, **kwargs):
        raise PaymentGatewayError("Insufficient balance.", code="balance_insufficient")

    monkeypatch.setattr(DummyGateway, "refund", refuse)
    line = _line(paid_order, "A-1")

    with pytest.raises(DomainError) as error:
        refund_order(paid_order, quantities={line.pk: 1}, restock=True)

    line.refresh_from_db()
    paid_order.refresh_from_db()
    assert (error.value.code, domain_error_status(error.value), error.value.message) == ("refund_failed", 502, "Insufficient balance.")
    assert Refund.objects.get().status == RefundStatus.FAILED
    assert (line.refunded_quantity, line.refunded_amount) == (0, Decimal("0.00"))
    assert (paid_order.status, on_hand("A-1")) == (OrderStatus.PAID, 2)


def test_refunding_a_line_unit_by_unit_adds_up_to_the_cent(shop_settings):
    """0.80 three times is 2.40 exactly (SQLite would sum F() decimals in floating point)."""
    variant_with_stock("C-1", price="0.80", on_hand=5)
    order = confirm_payment(checkout(cart_with(("C-1", 3))).order)
    line = _line(order, "C-1")

    for _ in range(3):
        refund_order(order, quantities={line.pk: 1}, restock=False)

    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.refunded_quantity, line.refunded_amount, line.refundable_quantity) == (3, Decimal("2.40"), 0)
    assert order.amount_refunded == Decimal("2.40")
