"""The real checkout (dummy gateway) feeding the creators ledger through the shop's events."""

from decimal import Decimal

import pytest

from creators.models import LedgerEntry, OrderLineAttribution
from creators.services.ledger import creator_balances
from shop.attribution import Attribution
from shop.services.checkout import confirm_payment
from shop.services.refunds import refund_order
from tests.factories import make_creator, make_user
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db


def test_a_buy_link_sale_accrues_when_paid_and_reverses_on_refund(site_tree, shop_settings):
    anna = make_creator("anna")
    variant_with_stock("LIP-1", price="40.00", on_hand=5)
    cart = cart_with(("LIP-1", 2), attribution=Attribution(creator_id=anna.pk, page_id=11, block_id="blk"))

    result = checkout(cart, email="reader@example.com")
    order = confirm_payment(result.order)

    decision = OrderLineAttribution.objects.get()
    assert (decision.creator_id, decision.page_id, decision.block_id, decision.source) == (anna.pk, 11, "blk", "link")
    assert list(LedgerEntry.objects.values_list("kind", "amount", "base_amount")) == [
        ("accrual", Decimal("8.00"), Decimal("80.00"))]

    refund_order(order, quantities={order.lines.get().pk: 1}, actor=make_user("staff"))

    assert creator_balances(anna.pk)["USD"].pending == Decimal("4.00")
