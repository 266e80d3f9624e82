"""Minimal server-rendered buying pages: buy link → cart → checkout → confirmation.

The session holds the cart token and the secrets of orders placed in it. A later issue builds
the full reader site on the API; these pages keep the demo buyable end to end.
"""

import io
from decimal import Decimal

import qrcode
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shop.errors import DomainError, InvalidInput
from shop.forms import CheckoutForm
from shop.models import Cart, FulfilmentMethod, OrderStatus, Variant
from shop.payments.registry import get_gateway
from shop.rate_limits import count_request, rate_limit
from shop.services.buy_links import Visitor, follow_buy_link
from shop.services.cart import create_cart, fetch_cart, remove_line, set_line_quantity
from shop.services.checkout import ShippingAddress, confirm_payment, shipping_rates, start_checkout
from shop.services.countries import country_name
from shop.attribution import referral_click_id
from shop.services.client_identity import identify_client
from shop.services.notifications import order_from_link_token
from shop.services.orders import order_for_buyer, pickup_code_for
from shop.services.payments import buyer_payment, is_payable
from shop.validation import column_max_length, has_control_characters, row_id

_CART_KEY = "kolshop_cart"
_ORDERS_KEY = "kolshop_orders"


def _session_cart(request: HttpRequest, *, create: bool) -> Cart | None:
    token = request.session.get(_CART_KEY)
    # A checked-out cart has bought; the reader's next buy link starts a new one.
    cart = Cart.objects.filter(token=token, checked_out_at__isnull=True).first() if token else None
    if cart is None and create:
        cart = create_cart()
        request.session[_CART_KEY] = cart.token
    return cart


def _quantity(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        return 0


@never_cache
@require_GET
@rate_limit("buy_link", block=False)
def buy(request: HttpRequest, sku: str) -> HttpResponse:
    """A buy link: add one unit with the link's attribution, counting a click for it. A tampered, expired
    or other product's ref still sells, uncredited. ``?deal=<id>`` asks for a promotion's price; once the
    deal is over the cart page says so and the unit is added at the list price.
    A client over the buy-link limit is sent to its cart with nothing added and nothing counted."""
    if request.limited:
        messages.error(request, "Too many requests; try again in a minute.")
        return redirect("shop:cart")
    visitor = Visitor.of(request)
    deal = request.GET.get("deal", "")
    listing = request.GET.get("listing", "")  # a creator's storefront listing (distribution)
    try:
        followed = follow_buy_link(_session_cart(request, create=True), sku=sku, token=request.GET.get("ref", ""),
                                   visitor=visitor, promotion_id=row_id(deal),
                                   listing_id=row_id(listing))
        if followed.promotion_refused is not None:
            messages.warning(request, f"{followed.promotion_refused.message} It is in your cart at the regular price.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("shop:cart")


@require_http_methods(["GET", "POST"])
def cart(request: HttpRequest) -> HttpResponse:
    current = _session_cart(request, create=False)
    if request.method == "POST" and current is not None:
        sku = request.POST.get("sku", "")
        try:
            if has_control_characters(sku) or len(sku) > column_max_length(Variant, "sku"):
                # never reaches the database
                raise InvalidInput("No product has this SKU.", code="unknown_sku", field="sku")
            if "remove" in request.POST:
                remove_line(current, sku=sku)
            else:
                set_line_quantity(current, sku=sku, quantity=_quantity(request.POST.get("quantity")))
        except DomainError as error:
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
    checked = CheckoutForm(form) if request.method == "POST" else None
    field_errors: dict[str, str] = {}
    if checked is not None and not checked.is_valid():
        field_errors = {name: f"{checked.fields[name].label}: {errors[0]}" for name, errors in checked.errors.items()}
        messages.error(request, "Please correct the fields marked below.")
    elif checked is not None and count_request(request, scope="checkout") is not None:
        messages.error(request, "Too many checkouts from your connection; try again in a minute.")
    elif checked is not None:
        form = checked.cleaned_data
        fulfilment = form.get("fulfilment") or FulfilmentMethod.SHIPPING
        address = None
        if fulfilment == FulfilmentMethod.SHIPPING:
            address = ShippingAddress(**{name: form.get(name, "") for name in
                                         ("name", "line1", "line2", "city", "postal_code", "country")})
        try:
            result = start_checkout(current, email=form.get("email", ""), fulfilment=fulfilment, address=address,
                                    voucher_code=form.get("voucher_code", ""), client=identify_client(request),
                                    referral_click_id=referral_click_id(request))
            order = result.order
            request.session[_ORDERS_KEY] = {**request.session.get(_ORDERS_KEY, {}), order.number: order.secret}
            if order.status == OrderStatus.PENDING and get_gateway(result.payment.gateway).confirms_on_server:
                confirm_payment(order)  # the dummy gateway pays at once; Stripe's buyer pays on the order page
            return redirect("shop:order", number=order.number)
        except DomainError as error:
            field = _FORM_FIELD_OF_ERROR.get(error.field or "", "")
            if field:
                field_errors[field] = error.message
                messages.error(request, "Please correct the fields marked below.")
            else:
                messages.error(request, error.message)
    return render(request, "shop/checkout.html", {
        "info": info, "form": form, "field_errors": field_errors, **_checkout_summary(info, form),
        "pickup_enabled": settings.KOLSHOP_PICKUP_ENABLED, "gateway": settings.KOLSHOP_PAYMENT_GATEWAY,
    })


# An error's field as the API names it → the checkout form's input.
_FORM_FIELD_OF_ERROR = {
    "email": "email", "fulfilment": "fulfilment", "voucher_code": "voucher_code", "address": "name",
    **{f"address.{name}": name for name in ("name", "line1", "line2", "city", "postal_code", "country")},
}


def _checkout_summary(info, form) -> dict:
    """Countries by name with their rate, and the total the reader will pay for the chosen delivery
    (the page's script updates it as they change country or delivery; without it, the server's is shown)."""
    rates = shipping_rates()
    countries = sorted(((code, country_name(code), rate) for code, rate in rates.items()), key=lambda row: row[1])
    pickup = form.get("fulfilment") == FulfilmentMethod.PICKUP
    chosen = form.get("country") if form.get("country") in rates else (countries[0][0] if countries else "")
    shipping = Decimal("0.00") if pickup or not chosen else rates[chosen]
    return {"countries": countries, "chosen_country": chosen, "shipping": shipping,
            "total": info.subtotal + shipping}


def remember_order(request: HttpRequest, order) -> None:
    """The session may open this order's page from now on (the buyer placed it here)."""
    request.session[_ORDERS_KEY] = {**request.session.get(_ORDERS_KEY, {}), order.number: order.secret}


def session_order(request: HttpRequest, number: str):
    """The order ``number`` if this session placed it (or opened its private link), else None."""
    secret = request.session.get(_ORDERS_KEY, {}).get(number, "")
    try:
        return order_for_buyer(number, secret) if secret else None
    except DomainError:
        return None


def _session_order(request: HttpRequest, number: str):
    secret = request.session.get(_ORDERS_KEY, {}).get(number, "")
    try:
        return order_for_buyer(number, secret)
    except DomainError as error:
        raise Http404("No such order in this session.") from error


@never_cache
@require_GET
def order_link(request: HttpRequest, token: str) -> HttpResponse:
    """The private link mailed to the buyer: opens the order in any browser, then drops the token from
    the address bar (and from any Referer) by redirecting to the plain order page."""
    try:
        linked = order_from_link_token(token)
    except DomainError as error:
        raise Http404(error.message) from error
    request.session[_ORDERS_KEY] = {**request.session.get(_ORDERS_KEY, {}), linked.number: linked.secret}
    return redirect("shop:order", number=linked.number)


@require_GET
def order(request: HttpRequest, number: str) -> HttpResponse:
    placed = _session_order(request, number)
    pickup_code = (pickup_code_for(placed) if placed.fulfilment_method == FulfilmentMethod.PICKUP
                   and placed.status == OrderStatus.PAID else None)
    payment = buyer_payment(list(placed.payments.all()))
    stripe_payment = (payment if payment is not None and payment.gateway == "stripe" and is_payable(placed, payment)
                      else None)
    return render(request, "shop/order.html", {
        "order": placed, "lines": placed.lines.all(), "pickup_code": pickup_code,
        "country": country_name(placed.shipping_country),
        "stripe_payment": stripe_payment, "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    })


@require_POST
def pay(request: HttpRequest, number: str) -> HttpResponse:
    try:
        confirm_payment(_session_order(request, number))
    except DomainError as error:
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
