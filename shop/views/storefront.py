"""Minimal server-rendered buying pages: buy link → cart → checkout → confirmation.

The session holds the cart token and the secrets of orders placed in it. A later issue builds
the full reader site on the API; these pages keep the demo buyable end to end.
"""

import io

import qrcode
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shop.api_errors import ApiError
from shop.attribution import InvalidAttribution, read_attribution
from shop.models import Cart, FulfilmentMethod, OrderStatus, PaymentStatus
from shop.payments.gateway import get_gateway
from shop.services.cart import (
    PromotionUnavailable,
    add_to_cart,
    create_cart,
    fetch_cart,
    remove_line,
    set_line_quantity,
)
from shop.services.checkout import ShippingAddress, confirm_payment, shipping_rates, start_checkout
from shop.services.orders import order_for_buyer, pickup_code_for

_CART_KEY = "kolshop_cart"
_ORDERS_KEY = "kolshop_orders"


def _session_cart(request: HttpRequest, *, create: bool) -> Cart | None:
    token = request.session.get(_CART_KEY)
    cart = Cart.objects.filter(token=token).first() if token else None
    if cart is None and create:
        cart = create_cart()
        request.session[_CART_KEY] = cart.token
    return cart


def _quantity(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        return 0


@require_GET
def buy(request: HttpRequest, sku: str) -> HttpResponse:
    """A buy link: add one unit with the link's attribution. A tampered ref still sells, uncredited.

    ``?deal=<id>`` asks for a promotion's price; once the deal is over (ended or sold out) the cart
    page says so and the unit is added at the list price.
    """
    try:
        attribution = read_attribution(request.GET["ref"]) if request.GET.get("ref") else None
    except InvalidAttribution:
        attribution = None
    deal = request.GET.get("deal", "")
    promotion_id = int(deal) if deal.isdigit() else None
    cart = _session_cart(request, create=True)
    try:
        try:
            add_to_cart(cart, sku=sku, quantity=1, attribution=attribution, promotion_id=promotion_id)
        except PromotionUnavailable as refused:
            add_to_cart(cart, sku=sku, quantity=1, attribution=attribution, promotion_id=promotion_id,
                        accept_list_price=True)
            messages.warning(request, f"{refused.message} It is in your cart at the regular price.")
    except ApiError as error:
        messages.error(request, error.message)
    return redirect("shop:cart")


@require_http_methods(["GET", "POST"])
def cart(request: HttpRequest) -> HttpResponse:
    current = _session_cart(request, create=False)
    if request.method == "POST" and current is not None:
        sku = request.POST.get("sku", "")
        try:
            if "remove" in request.POST:
                remove_line(current, sku=sku)
            else:
                set_line_quantity(current, sku=sku, quantity=_quantity(request.POST.get("quantity")))
        except ApiError as error:
            messages.error(request, error.message)
        return redirect("shop:cart")
    info = fetch_cart(current) if current else None
    return render(request, "shop/cart.html", {"info": info})


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    current = _session_cart(request, create=False)
    info = fetch_cart(current) if current else None
    if info is None or not info.lines:
        return redirect("shop:cart")
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        fulfilment = form.get("fulfilment", FulfilmentMethod.SHIPPING)
        address = None
        if fulfilment == FulfilmentMethod.SHIPPING:
            address = ShippingAddress(**{name: form.get(name, "") for name in
                                         ("name", "line1", "line2", "city", "postal_code", "country")})
        try:
            result = start_checkout(current, email=form.get("email", ""), fulfilment=fulfilment, address=address,
                                    voucher_code=form.get("voucher_code", ""))
            order = result.order
            request.session[_ORDERS_KEY] = {**request.session.get(_ORDERS_KEY, {}), order.number: order.secret}
            if order.status == OrderStatus.PENDING and get_gateway(result.payment.gateway).confirms_on_server:
                confirm_payment(order)  # the dummy gateway pays at once; Stripe's buyer pays on the order page
            return redirect("shop:order", number=order.number)
        except ApiError as error:
            messages.error(request, error.message)
    return render(request, "shop/checkout.html", {
        "info": info, "form": form, "countries": sorted(shipping_rates().items()),
        "pickup_enabled": settings.KOLSHOP_PICKUP_ENABLED, "gateway": settings.KOLSHOP_PAYMENT_GATEWAY,
    })


def _session_order(request: HttpRequest, number: str):
    secret = request.session.get(_ORDERS_KEY, {}).get(number, "")
    try:
        return order_for_buyer(number, secret)
    except ApiError as error:
        raise Http404("No such order in this session.") from error


@require_GET
def order(request: HttpRequest, number: str) -> HttpResponse:
    placed = _session_order(request, number)
    pickup_code = (pickup_code_for(placed) if placed.fulfilment_method == FulfilmentMethod.PICKUP
                   and placed.status == OrderStatus.PAID else None)
    payment = placed.payments.exclude(status=PaymentStatus.CANCELLED).order_by("-pk").first()
    stripe_payment = (payment if payment is not None and payment.gateway == "stripe"
                      and placed.status == OrderStatus.PENDING else None)
    return render(request, "shop/order.html", {
        "order": placed, "lines": placed.lines.all(), "pickup_code": pickup_code,
        "stripe_payment": stripe_payment, "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    })


@require_POST
def pay(request: HttpRequest, number: str) -> HttpResponse:
    try:
        confirm_payment(_session_order(request, number))
    except ApiError as error:
        messages.error(request, error.message)
    return redirect("shop:order", number=number)


@require_GET
def pickup_qr(request: HttpRequest, number: str) -> HttpResponse:
    placed = _session_order(request, number)
    if placed.fulfilment_method != FulfilmentMethod.PICKUP or placed.status != OrderStatus.PAID:
        raise Http404("No pickup code for this order.")
    buffer = io.BytesIO()
    qrcode.make(pickup_code_for(placed)).save(buffer, format="PNG")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response
