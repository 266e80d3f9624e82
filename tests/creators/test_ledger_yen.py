"""Commissions in a currency without a minor unit (JPY) accrue and reverse in whole yen, cumulatively."""

from decimal import Decimal

import pytest

from creators.models import LedgerEntry
from creators.services.ledger import Balance, accrue_commission, creator_balances, reverse_commission_for_refund
from tests.creators.helpers import LineSpec, make_order, mark_paid, refund_lines
from tests.factories import make_creator, make_product

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")


def test_an_odd_yen_commission_accrues_in_whole_yen_and_two_half_refunds_reverse_exactly_the_whole(site_tree):
    anna = make_creator("anna")  # 10 %
    order = make_order(LineSpec(make_product(currency="JPY"), unit_price="1015", creator=anna), currency="JPY")
    mark_paid(order)
    accrue_commission(order)
    line = order.lines.get()

    first = refund_lines(order, {line.pk: "507"})
    reverse_commission_for_refund(order, first)
    reverse_commission_for_refund(order, first)  # retried
    second = refund_lines(order, {line.pk: "508"})
    reverse_commission_for_refund(order, second)

    # 101.5 yen rounds to 102; after the first refund 508 yen is left: 50.8 rounds to 51, so 51 comes back,
    # and the second takes the other 51. Before, the ledger held 101.50, 50.80 and reversed 50.70 and 50.80.
    assert list(LedgerEntry.objects.filter(creator=anna).order_by("pk").values_list("kind", "amount", "source_ref")) == [
        ("accrual", Decimal("102.00"), "paid"),
        ("reversal", Decimal("-51.00"), f"refund:{first.pk}"),
        ("reversal", Decimal("-51.00"), f"refund:{second.pk}"),
    ]
    assert creator_balances(anna.pk) == {"JPY": Balance("JPY", ZERO, ZERO, ZERO)}


def test_a_yen_commission_on_several_lines_is_whole_yen_on_each(site_tree):
    anna = make_creator("anna")
    order = make_order(LineSpec(make_product(currency="JPY"), unit_price="333", quantity=1, creator=anna),
                       LineSpec(make_product(currency="JPY"), unit_price="1234", quantity=1, creator=anna),
                       currency="JPY")
    mark_paid(order)
    accrue_commission(order)

    amounts = list(LedgerEntry.objects.filter(creator=anna).order_by("order_line_id").values_list("amount", flat=True))
    assert amounts == [Decimal("33.00"), Decimal("123.00")]  # 33.3 and 123.4 yen, each to the yen
