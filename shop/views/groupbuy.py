"""Group buy on the reader site: open a team (from a page's group-buy block), its share link (who is in,
first names only; seats left; the deadline; a QR code), and joining through that link.

The views parse the form and call ``shop.services.groupbuy.open_team`` / ``join_team``; every rule
(seats, caps, one open team per buyer, the card hold) is the service's. The session remembers the
reader's own order in each team, so the share page shows them their order and, while their card is
still to be confirmed (Stripe), the Payment Element.
"""

import io

import qrcode
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from shop.errors import DomainError, NotFound
from shop.forms import GroupBuyForm
from shop.models import FulfilmentMethod, GroupMember, GroupMemberStatus, PaymentStatus
from shop.rate_limits import count_request
from shop.services.checkout import ShippingAddress
from shop.attribution import referral_click_id
from shop.services.client_identity import identify_client
from shop.services.groupbuy import GroupBuyer, Membership, TeamState, join_team, open_team, team_state
from shop.templatetags.shop_buy import group_buy_choices
from shop.views.storefront import remember_order, session_order

_TEAMS_KEY = "kolshop_group_teams"  # {share code: the reader's order number in that team}


def _state(code: str) -> TeamState:
    try:
        return team_state(code)
    except NotFound as error:
        raise Http404(error.message) from error


def _own_membership(request: HttpRequest, code: str) -> dict | None:
    """The reader's own order in this team (from this session), and the hold still to confirm, if any."""
    number = request.session.get(_TEAMS_KEY, {}).get(code)
    order = session_order(request, number) if number else None
    if order is None:
        return None
    member = GroupMember.objects.filter(order=order).only("status").first()
    payment = order.payments.order_by("-pk").first()
    confirm = (member is not None and member.status == GroupMemberStatus.AUTHORISING and payment is not None
               and payment.gateway == "stripe" and payment.status == PaymentStatus.PENDING)
    return {"order": order, "member_status": member.status if member else "",
            "hold_to_confirm": payment if confirm else None}


@never_cache
@require_GET
def team(request: HttpRequest, code: str) -> HttpResponse:
    state = _state(code)
    own = _own_membership(request, state.code)
    return render(request, "shop/group_team.html", {
        "team": state, "own": own, "state_endpoint": f"/api/v1/group-buys/teams/{state.code}",
        "share_url": request.build_absolute_uri(reverse("shop:group-team", args=[state.code])),
        "may_join": own is None and state.status == "forming" and state.seats_left > 0,
        "form": {}, "field_errors": {}, **group_buy_choices(),
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    })


def team_qr(request: HttpRequest, code: str) -> HttpResponse:
    state = _state(code)
    buffer = io.BytesIO()
    qrcode.make(request.build_absolute_uri(reverse("shop:group-team", args=[state.code]))).save(buffer, format="PNG")
    return HttpResponse(buffer.getvalue(), content_type="image/png")


def _buyer_from(request: HttpRequest) -> tuple[GroupBuyer | None, str]:
    """The form as a ``GroupBuyer`` (and the buy link's token), or None after telling the reader why."""
    form = GroupBuyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(form.error_messages()))
        return None, ""
    data = form.cleaned_data
    fulfilment = data.get("fulfilment") or FulfilmentMethod.SHIPPING
    address = None
    if fulfilment == FulfilmentMethod.SHIPPING:
        address = ShippingAddress(**{name: data.get(name, "") for name in
                                     ("name", "line1", "line2", "city", "postal_code", "country")})
    name = data.get("first_name") or data.get("name") or ""
    return GroupBuyer(email=data.get("email", ""), name=name, quantity=data.get("quantity") or 1,
                      fulfilment=fulfilment, address=address), data.get("ref", "")


def _seated(request: HttpRequest, membership: Membership) -> HttpResponse:
    remember_order(request, membership.order)
    request.session[_TEAMS_KEY] = {**request.session.get(_TEAMS_KEY, {}), membership.team.code: membership.order.number}
    return redirect("shop:group-team", code=membership.team.code)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    return redirect(target)


@require_POST
def open_(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The group-buy block's form: open a team as its first member, then show its share page."""
    if count_request(request, scope="checkout") is not None:
        messages.error(request, "Too many attempts from your connection; try again in a minute.")
        return _back(request)
    group_buyer, token = _buyer_from(request)
    if group_buyer is None:
        return _back(request)
    try:
        membership = open_team(campaign_id, buyer=group_buyer, attribution_token=token,
                               client=identify_client(request), referral_click_id=referral_click_id(request))
    except DomainError as error:
        messages.error(request, error.message)
        return _back(request)
    return _seated(request, membership)


@require_POST
def join(request: HttpRequest, code: str) -> HttpResponse:
    """The share page's form: take a seat in the team."""
    if count_request(request, scope="checkout") is not None:
        messages.error(request, "Too many attempts from your connection; try again in a minute.")
        return redirect("shop:group-team", code=code)
    group_buyer, _token = _buyer_from(request)
    if group_buyer is None:
        return redirect("shop:group-team", code=code)
    try:
        membership = join_team(code, buyer=group_buyer, client=identify_client(request),
                                referral_click_id=referral_click_id(request))
    except DomainError as error:
        if error.code == "team_not_found":
            raise Http404(error.message) from error
        messages.error(request, error.message)
        return redirect("shop:group-team", code=code)
    return _seated(request, membership)
