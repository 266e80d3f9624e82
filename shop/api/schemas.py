"""Request and response shapes. Money is a decimal string beside its currency.

The ``*_out`` builders lay each answer out in its schema's exact shape, key order and types (money a ``Decimal``,
as the schema's validation would make it), so the endpoints answer with ``json_answer`` instead of ninja validating
the payload a second time through the schema (``tests/shop/test_api_answers_match_schema.py`` holds every answer to
what that validation would render). The schemas stay the endpoints' declared responses: the OpenAPI document is
unchanged."""

import json
from datetime import datetime
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from ninja import Schema
from ninja.responses import NinjaJSONEncoder

from shop.models import Cart, FulfilmentMethod, Order, OrderStatus, Variant, Voucher
from shop.services.cart import CartInfo
from shop.services.checkout import CheckoutResult
from shop.services.orders import pickup_code_for
from shop.services.payments import buyer_payment, is_payable
from shop.validation import INT32_MAX, ObjectId, column_text, integer, text

# Input types: limits come from the columns (shop.validation); no control characters anywhere.
# Quantities only need to fit an integer column here: the business limits (at least 1, at most
# KOLSHOP_MAX_QUANTITY_PER_VARIANT) stay in shop.services.cart with their own error codes.
CartToken = column_text(Cart, "token", min_length=1, description="The cart's token, from POST /carts/.")
Sku = column_text(Variant, "sku", min_length=1)
Quantity = integer(minimum=-INT32_MAX, maximum=INT32_MAX)
OrderNumber = column_text(Order, "number", min_length=1)
OrderSecret = column_text(Order, "secret")
Email = column_text(Order, "email")
VoucherCode = column_text(Voucher, "code")
Fulfilment = column_text(Order, "fulfilment_method")
# A signed attribution token from a buy link; generous, but bounded.
AttributionToken = text(max_length=512)
ShareToken = text(max_length=200)  # shop.attribution.share_token: ``?share=`` of a share's redirect to another site


class AttributionOut(Schema):
    creator_id: int | None
    page_id: int | None
    block_id: str


class CartLinePromotionOut(Schema):
    """The promotion the line was added with; ``applied`` false (with a ``refusal``) once it no longer prices it."""

    id: int
    applied: bool
    refusal: str | None
    ends_at: datetime


class CartLineOut(Schema):
    sku: str
    product_title: str
    variant_name: str
    quantity: int
    unit_price: Decimal
    list_unit_price: Decimal
    currency: str
    line_total: Decimal
    available: int
    attribution: AttributionOut
    promotion: CartLinePromotionOut | None
    listing_id: int | None = None  # the storefront listing pricing the line (distribution)


class CartOut(Schema):
    token: str
    currency: str
    item_count: int
    subtotal: Decimal
    max_quantity_per_variant: int
    lines: list[CartLineOut]


class AddLineIn(Schema):
    sku: Sku
    quantity: Quantity = 1
    attribution: AttributionToken | None = None
    # A deal block's promotion id; an ended one answers 409 unless the client accepts the list price.
    promotion: ObjectId | None = None
    accept_list_price: bool = False
    # A creator's storefront listing (distribution): it prices the line; not on sale now answers 409.
    listing: ObjectId | None = None


class UpdateLineIn(Schema):
    quantity: Quantity


class AddressIn(Schema):
    name: column_text(Order, "shipping_name")
    line1: column_text(Order, "shipping_line1")
    line2: column_text(Order, "shipping_line2") = ""
    city: column_text(Order, "shipping_city")
    postal_code: column_text(Order, "shipping_postal_code")
    country: column_text(Order, "shipping_country")


class CheckoutIn(Schema):
    email: Email
    fulfilment: Fulfilment = FulfilmentMethod.SHIPPING
    address: AddressIn | None = None
    voucher_code: VoucherCode = ""
    share_token: ShareToken | None = None


class OrderLineOut(Schema):
    sku: str
    product_title: str
    variant_name: str
    quantity: int
    unit_price: Decimal
    list_unit_price: Decimal | None
    promotion_id: int | None
    discount_amount: Decimal
    line_total: Decimal
    currency: str
    refunded_quantity: int


class OrderPaymentOut(Schema):
    status: str
    gateway: str
    amount: Decimal
    currency: str
    client_secret: str | None  # only while the order can still be paid


class OrderOut(Schema):
    number: str
    status: str
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    total: Decimal
    amount_refunded: Decimal
    fulfilment: str
    voucher_code: str
    reserved_until: datetime | None
    pickup_code: str | None
    lines: list[OrderLineOut]
    payment: OrderPaymentOut | None


class PaymentOut(Schema):
    gateway: str
    status: str
    client_secret: str
    publishable_key: str


class CheckoutOut(Schema):
    order: OrderOut
    order_secret: str
    payment: PaymentOut


class _AnswerEncoder(NinjaJSONEncoder):
    """``NinjaJSONEncoder``, its answer for an answer's money and moments found first: a ``Decimal`` or
    ``datetime`` is none of the types ninja checks before Django's ``DjangoJSONEncoder`` (a pydantic model, a URL,
    an IP address, an enum), so it goes straight to Django's rule for it, the same text."""

    def default(self, o):
        kind = type(o)
        if kind is Decimal:
            return str(o)
        if kind is datetime:
            return DjangoJSONEncoder.default(self, o)
        return super().default(o)


def json_answer(payload: dict, *, status: int = 200) -> HttpResponse:
    """``payload``, already in its declared response schema's shape, as ninja renders a validated answer
    (its ``JSONRenderer``: ``NinjaJSONEncoder``, ``application/json; charset=utf-8``)."""
    return HttpResponse(json.dumps(payload, cls=_AnswerEncoder), status=status,
                        content_type="application/json; charset=utf-8")


def _money(value) -> Decimal:
    """A ``Decimal`` field's value as the schema's validation makes it (a default of ``0`` is ``Decimal(0)``)."""
    return value if type(value) is Decimal else Decimal(str(value))


def _line_promotion_out(line) -> dict | None:
    promotion = line.line.promotion
    if promotion is None:
        return None
    return {"id": promotion.pk, "applied": line.promotion is not None, "refusal": line.price.refusal,
            "ends_at": promotion.ends_at}


def cart_out(info: CartInfo, *, max_quantity: int) -> dict:
    return {
        "token": info.cart.token,
        "currency": info.currency,
        "item_count": info.item_count,
        "subtotal": _money(info.subtotal),
        "max_quantity_per_variant": max_quantity,
        "lines": [
            {
                "sku": line.sku, "product_title": line.variant.product.title, "variant_name": line.variant.name,
                "quantity": line.quantity, "unit_price": _money(line.unit_price),
                "list_unit_price": _money(line.price.list_unit_price), "currency": line.currency,
                "line_total": _money(line.line_total), "available": line.available,
                "attribution": {"creator_id": line.line.creator_id, "page_id": line.line.page_id,
                                "block_id": line.line.block_id},
                "promotion": _line_promotion_out(line),
                "listing_id": line.price.listing.pk if line.price.listing is not None else None,
            }
            for line in info.lines
        ],
    }


def order_out(order: Order, *, lines: list | None = None, payments: list | None = None) -> dict:
    """``lines`` / ``payments``: the order's rows when the caller has them already (else they are read)."""
    show_pickup = order.fulfilment_method == FulfilmentMethod.PICKUP and order.status == OrderStatus.PAID
    return {
        "number": order.number, "status": order.status, "currency": order.currency,
        "subtotal": _money(order.subtotal), "discount_total": _money(order.discount_total),
        "shipping_total": _money(order.shipping_total), "total": _money(order.total),
        "amount_refunded": _money(order.amount_refunded), "fulfilment": order.fulfilment_method,
        "voucher_code": order.voucher_code,
        "reserved_until": order.reserved_until if order.status == OrderStatus.PENDING else None,
        "pickup_code": pickup_code_for(order) if show_pickup else None,
        "lines": [
            {
                "sku": line.sku, "product_title": line.product_title, "variant_name": line.variant_name,
                "quantity": line.quantity, "unit_price": _money(line.unit_price),
                "list_unit_price": None if line.list_unit_price is None else _money(line.list_unit_price),
                "promotion_id": line.promotion_id, "discount_amount": _money(line.discount_amount),
                "line_total": _money(line.line_total), "currency": line.currency,
                "refunded_quantity": line.refunded_quantity,
            }
            for line in (order.lines.all() if lines is None else lines)
        ],
        "payment": _order_payment_out(order, payments),
    }


def _order_payment_out(order: Order, payments: list | None = None) -> dict | None:
    payment = buyer_payment(list(order.payments.all()) if payments is None else payments)
    if payment is None:
        return None
    return {
        "status": payment.status, "gateway": payment.gateway, "amount": _money(payment.amount),
        "currency": payment.currency, "client_secret": payment.client_secret if is_payable(order, payment) else None,
    }


def checkout_out(result: CheckoutResult) -> dict:
    return {
        # A checkout that paid at once (a free order) re-reads its payments; otherwise it opened just this one.
        "order": order_out(result.order, lines=result.lines,
                           payments=[result.payment] if result.order.status == OrderStatus.PENDING else None),
        "order_secret": result.order.secret,
        "payment": {
            "gateway": result.payment.gateway, "status": result.payment.status,
            "client_secret": result.payment.client_secret if is_payable(result.order, result.payment) else "",
            "publishable_key": result.publishable_key,
        },
    }
