"""'Payout account' in the admin: a creator connects the Stripe account they are paid into."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from creators.services.stripe_accounts import (
    PayoutAccountUnavailable,
    payout_account_status,
    start_payout_account_onboarding,
    stripe_connect_configured,
)
from shop.payments.gateway import PaymentGatewayError

TEMPLATE = "creators/admin/payout_account.html"


def _creator_of(request: HttpRequest):
    try:
        return request.user.creator_profile
    except (ObjectDoesNotExist, AttributeError):
        raise PermissionDenied from None


@require_http_methods(["GET", "POST"])
def payout_account(request: HttpRequest) -> HttpResponse:
    creator = _creator_of(request)
    if request.method == "POST":
        here = request.build_absolute_uri(reverse("creators_payout_account"))
        try:
            url = start_payout_account_onboarding(creator, return_url=here, refresh_url=here)
        except PayoutAccountUnavailable:
            messages.error(request, "Payouts through Stripe are not set up on this kolshop yet; ask the team.")
            return render(request, TEMPLATE, {"creator": creator, "configured": False}, status=409)
        except PaymentGatewayError as error:
            messages.error(request, f"Stripe could not start the connection: {error}")
            return render(request, TEMPLATE, {"creator": creator, "configured": True}, status=502)
        return HttpResponseRedirect(url)
    return render(request, TEMPLATE, {
        "creator": creator,
        "configured": stripe_connect_configured(),
        "status": payout_account_status(creator),
    })
