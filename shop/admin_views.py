"""Staff views in the Wagtail admin: refund an order (full or per line), retry a failed automatic
refund, and redeem pickup codes.

Both need the ``shop.change_order`` permission (Editors and superusers); brand and creator
users never hold order permissions, so they never see buyers' details.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from shop.errors import DomainError, InvalidInput
from shop.models import FulfilmentMethod, Order
from shop.services.notifications import revoke_order_links
from shop.services.orders import mark_fulfilled, mark_ready_for_pickup, redeem_pickup_code
from shop.services.refunds import line_refund_amount, refund_order, refunds_needing_staff, retry_refund

ORDER_PERMISSION = "shop.change_order"


def _quantities(post, order: Order) -> dict[int, int]:
    quantities = {}
    for line in order.lines.all():
        raw = (post.get(f"quantity-{line.pk}") or "0").strip()
        try:
            quantity = int(raw)
        except ValueError:
            raise InvalidInput(f"Enter a whole number for {line.sku}.", code="invalid_quantity",
                               field="lines") from None
        if quantity:
            quantities[line.pk] = quantity
    return quantities


@permission_required(ORDER_PERMISSION, raise_exception=True)
def refund(request, order_id: int):
    order = get_object_or_404(Order, pk=order_id)
    if request.method == "POST" and "retry_refund" in request.POST:
        return _retry_failed_refund(request, order)
    if request.method == "POST" and request.POST.get("fulfil") in ("shipped", "pickup_ready"):
        return _fulfil(request, order)
    if request.method == "POST" and "revoke_links" in request.POST:
        revoke_order_links(order)
        messages.success(request, f"The private links mailed for order {order.number} no longer open it.")
        return redirect("shop_order_refund", order_id=order.pk)
    if request.method == "POST":
        try:
            if "refund_all" in request.POST:
                result = refund_order(order, restock="restock" in request.POST, actor=request.user,
                                      reason=request.POST.get("reason", ""))
            else:
                result = refund_order(order, quantities=_quantities(request.POST, order),
                                      include_shipping="include_shipping" in request.POST,
                                      restock="restock" in request.POST, actor=request.user,
                                      reason=request.POST.get("reason", ""))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Refund of {result.amount} {result.currency} sent ({result.get_status_display()}).")
            return redirect("shop_order_refund", order_id=order.pk)
    lines = [(line, line_refund_amount(line, 1) if line.refundable_quantity else None) for line in order.lines.all()]
    return TemplateResponse(request, "shop/admin/refund.html", {
        "order": order, "lines": lines, "refunds": order.refunds.order_by("-pk"),
        "failed_automatic_refunds": refunds_needing_staff().filter(order=order).order_by("pk"),
        "events": order.events.select_related("actor").order_by("-pk")[:50],
        "orders_url": reverse("shop_order_modeladmin_index"),
        "can_ship": order.status == "paid" and order.fulfilment_method == FulfilmentMethod.SHIPPING,
        "can_ready": order.status == "paid" and order.fulfilment_method == FulfilmentMethod.PICKUP,
    })


def _fulfil(request, order: Order):
    """Tell the buyer: shipped (the order is fulfilled) or ready for pickup (it waits for the code)."""
    try:
        if request.POST["fulfil"] == "shipped":
            mark_fulfilled(order, actor=request.user)
            messages.success(request, f"Order {order.number} marked shipped; the buyer is told by e-mail.")
        else:
            mark_ready_for_pickup(order, actor=request.user)
            messages.success(request, f"Order {order.number} is ready for pickup; the buyer is told by e-mail.")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("shop_order_refund", order_id=order.pk)


def _retry_failed_refund(request, order: Order):
    """Money taken without an order to keep (stock ran out, paid twice) whose automatic refund failed."""
    failed = refunds_needing_staff().filter(order=order, pk=request.POST.get("retry_refund") or None).first()
    if failed is None:
        messages.error(request, "This refund is not waiting to be retried.")
    else:
        try:
            result = retry_refund(failed, actor=request.user)
        except DomainError as error:
            messages.error(request, f"The refund failed again: {error.message}")
        else:
            messages.success(request, f"Refund of {result.amount} {result.currency} sent ({result.get_status_display()}).")
    return redirect("shop_order_refund", order_id=order.pk)


@permission_required(ORDER_PERMISSION, raise_exception=True)
def redeem_pickup(request):
    if request.method == "POST":
        try:
            order = redeem_pickup_code(request.POST.get("code", ""), actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            items = ", ".join(f"{line.quantity} × {line.product_title}" for line in order.lines.all())
            messages.success(request, f"Order {order.number} handed over: {items}.")
        return redirect("shop_redeem_pickup")
    return TemplateResponse(request, "shop/admin/pickup.html", {"pickup": FulfilmentMethod.PICKUP})
