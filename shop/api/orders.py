"""Order endpoints for the buyer: /api/v1/orders/<number>, authorised by the X-Order-Secret header."""

from ninja import Header, Router

from shop.api.schemas import OrderNumber, OrderOut, OrderSecret, json_answer, order_out
from shop.services.checkout import pay_order
from shop.services.orders import order_for_buyer

router = Router(tags=["orders"])


@router.get("/{number}", response=OrderOut, summary="Read an order (buyer only)")
def read(request, number: OrderNumber, x_order_secret: OrderSecret = Header("", alias="X-Order-Secret")):
    return json_answer(order_out(order_for_buyer(number, x_order_secret)))


@router.post("/{number}/pay", response=OrderOut,
             summary="Pay a pending order at once (dummy gateway; Stripe confirms in the browser)")
def pay(request, number: OrderNumber, x_order_secret: OrderSecret = Header("", alias="X-Order-Secret")):
    confirmation = pay_order(number, x_order_secret)
    return json_answer(order_out(confirmation.order, payments=confirmation.payments))
