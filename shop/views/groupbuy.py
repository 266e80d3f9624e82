"""The share link of a group-buy team: who is in (first names only), seats left, the deadline, and its QR code."""

import io

import qrcode
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from shop.errors import NotFound
from shop.services.groupbuy import TeamState, team_state


def _state(code: str) -> TeamState:
    try:
        return team_state(code)
    except NotFound as error:
        raise Http404(error.message) from error


def team(request: HttpRequest, code: str) -> HttpResponse:
    state = _state(code)
    return render(request, "shop/group_team.html", {
        "team": state, "join_endpoint": f"/api/v1/group-buys/teams/{state.code}/members",
        "share_url": request.build_absolute_uri(reverse("shop:group-team", args=[state.code])),
    })


def team_qr(request: HttpRequest, code: str) -> HttpResponse:
    state = _state(code)
    buffer = io.BytesIO()
    qrcode.make(request.build_absolute_uri(reverse("shop:group-team", args=[state.code]))).save(buffer, format="PNG")
    return HttpResponse(buffer.getvalue(), content_type="image/png")
