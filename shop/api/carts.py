"""Cart endpoints: /api/v1/carts. The token in the path is the cart's only credential."""

from collections.abc import Iterator
from contextlib import contextmanager

from ninja import Router

from shop.api.schemas import (
    AddLineIn,
    CartOut,
    CartToken,
    CheckoutIn,
    CheckoutOut,
    Sku,
    UpdateLineIn,
    cart_out,
    checkout_out,
    json_answer,
)
from shop.errors import InvalidInput
from shop.rate_limits import rate_limit
from shop.services.cart import (
    CartInfo,
    add_line_to_cart,
    create_cart,
    fetch_cart,
    get_cart,
    max_quantity_per_variant,
    parse_attribution,
    remove_line,
    set_line_quantity,
)
from shop.services.checkout import ShippingAddress, start_checkout
from shop.services.buy_links import Visitor, counts_a_click, with_counted_click
from shop.attribution import referral_click_id
from shop.services.client_identity import identify_client

# Each endpoint answers its declared schema's shape through ``json_answer`` (see ``shop.api.schemas``).
router = Router(tags=["carts"])


@contextmanager
def _unknown_cart_first(token: str) -> Iterator[None]:
    """An unknown cart answers 404 ``cart_not_found`` whatever else is wrong with the request. Input is judged
    before the statement that finds and locks the cart, so only a refusal looks the cart up."""
    try:
        yield
    except InvalidInput:
        get_cart(token)
        raise


def _cart_response(cart):
    return json_answer(cart_out(fetch_cart(cart), max_quantity=max_quantity_per_variant()))


@router.post("", response={201: CartOut}, summary="Create an empty cart")
@rate_limit("cart_create")
def create(request):
    # A new cart has no lines: nothing to read back.
    return json_answer(cart_out(CartInfo(cart=create_cart()), max_quantity=max_quantity_per_variant()), status=201)


@router.get("/{token}", response=CartOut, summary="Read a cart with live prices and availability")
def read(request, token: CartToken):
    return _cart_response(get_cart(token))


@router.post("/{token}/lines", response={201: CartOut}, summary="Add a SKU (a repeated SKU adds to its line)")
@rate_limit("cart_add")
def add_line(request, token: CartToken, payload: AddLineIn):
    """``promotion``: a deal's id from a deal block. When the deal no longer applies this answers 409
    ``promotion_ended`` / ``promotion_sold_out`` / ``promotion_not_started`` and adds nothing, unless
    ``accept_list_price`` is true: then the SKU is added at the list price, without the deal. A storefront
    ``listing`` no longer on sale likewise answers 409 ``listing_unavailable``, or with ``accept_list_price``
    adds the SKU at the list price without the listing."""
    with _unknown_cart_first(token):
        attribution = parse_attribution(payload.attribution, sku=payload.sku)
    if counts_a_click(attribution):
        get_cart(token)  # an unknown cart is a 404 before any click is counted
    attribution = with_counted_click(attribution, sku=payload.sku, visitor=Visitor.of(request))
    # The token goes to the service: the cart is found, locked and stamped in one statement.
    info = add_line_to_cart(token, sku=payload.sku, quantity=payload.quantity, attribution=attribution,
                            promotion_id=payload.promotion, accept_list_price=payload.accept_list_price,
                            listing_id=payload.listing)
    return json_answer(cart_out(info, max_quantity=max_quantity_per_variant()), status=201)


@router.patch("/{token}/lines/{sku}", response=CartOut, summary="Change a line's quantity")
def update_line(request, token: CartToken, sku: Sku, payload: UpdateLineIn):
    cart = get_cart(token)
    set_line_quantity(cart, sku=sku, quantity=payload.quantity)
    return _cart_response(cart)


@router.delete("/{token}/lines/{sku}", response=CartOut, summary="Remove a line")
def delete_line(request, token: CartToken, sku: Sku):
    cart = get_cart(token)
    remove_line(cart, sku=sku)
    return _cart_response(cart)


@router.post("/{token}/checkout", response={201: CheckoutOut},
             summary="Reserve stock, place a pending order and open its payment")
@rate_limit("checkout")
def checkout(request, token: CartToken, payload: CheckoutIn):
    address = ShippingAddress(**payload.address.dict()) if payload.address else None
    with _unknown_cart_first(token):
        result = start_checkout(token, email=payload.email, fulfilment=payload.fulfilment, address=address,
                                voucher_code=payload.voucher_code, client=identify_client(request),
                                referral_click_id=referral_click_id(request, share_token=payload.share_token))
    return json_answer(checkout_out(result), status=201)
