"""A deal line earns commission on the deal price it was sold at, through the real checkout (dummy gateway)."""

from decimal import Decimal

import pytest

from creators.models import LedgerEntry
from creators.services.ledger import creator_balances
from shop.attribution import Attribution
from shop.models import Cart
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment
from shop.services.refunds import refund_order
from tests.factories import make_brand, make_creator, make_deal, make_product, make_user
from tests.shop.helpers import checkout

pytestmark = pytest.mark.django_db


def test_a_two_brand_order_with_one_deal_line_accrues_commission_on_the_deal_price(site_tree, shop_settings):
    anna = make_creator("anna")
    headphones = make_product(brand=make_brand("Northwind"), variants=[("HP-1", "124.99", 5)]).variants.get()
    lipstick = make_product(brand=make_brand("Lumen"), variants=[("LIP-1", "40.00", 5)]).variants.get()
    deal = make_deal(headphones, price="99.00")
    cart = Cart.objects.create()
    link = Attribution(creator_id=anna.pk, page_id=11, block_id="deal-block")
    add_to_cart(cart, sku="HP-1", quantity=2, attribution=link, promotion_id=deal.pk)
    add_to_cart(cart, sku="LIP-1", quantity=1, attribution=link)

    order = confirm_payment(checkout(cart, email="reader@example.com").order)

    lines = list(order.lines.order_by("sku").values_list("sku", "unit_price", "list_unit_price", "line_total",
                                                         "promotion_id"))
    assert lines == [("HP-1", Decimal("99.00"), Decimal("124.99"), Decimal("198.00"), deal.pk),
                     ("LIP-1", Decimal("40.00"), Decimal("40.00"), Decimal("40.00"), None)]
    assert (order.subtotal, order.total, order.payments.get().amount) == (
        Decimal("238.00"), Decimal("243.00"), Decimal("243.00"))
    assert sorted(LedgerEntry.objects.values_list("kind", "base_amount", "amount")) == [
        ("accrual", Decimal("40.00"), Decimal("4.00")), ("accrual", Decimal("198.00"), Decimal("19.80"))]

    refund_order(order, quantities={order.lines.get(sku="HP-1").pk: 1}, actor=make_user("staff"))

    assert creator_balances(anna.pk)["USD"].pending == Decimal("13.90")
