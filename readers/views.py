"""The reader site's account pages: sign in by mailed link or code, "my account", sign out (everywhere)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from readers.limits import limit_code_attempt, limit_sign_in_request
from readers.services.accounts import reader_orders, reader_teams
from readers.services.rewards import redeem_rewards, reward_balances
from readers.services.shares import reader_shares, share
from readers.services.sign_in import request_sign_in, sign_in_with_code, sign_in_with_link, sign_out_everywhere
from readers.sessions import current_reader, end_reader_session, start_reader_session
from shop.errors import DomainError, RateLimited
from shop.validation import row_id

_PENDING_EMAIL = "kolshop_reader_sign_in_email"


def _refused(request: HttpRequest, error: DomainError, template: str, context: dict) -> HttpResponse:
    messages.error(request, error.message)
    return render(request, template, context, status=429 if isinstance(error, RateLimited) else 400)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "readers/sign_in.html", {"email": ""})
    email = request.POST.get("email", "")
    try:
        limit_sign_in_request(request, email=email)
        request_sign_in(email)
    except DomainError as error:
        return _refused(request, error, "readers/sign_in.html", {"email": email})
    request.session[_PENDING_EMAIL] = email.strip()
    return redirect("readers:sign-in-code")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    email = request.session.get(_PENDING_EMAIL, "")
    if not email:
        return redirect("readers:sign-in")
    if request.method != "POST":
        return render(request, "readers/sign_in_code.html", {"email": email})
    try:
        limit_code_attempt(request, email=email)
        reader = sign_in_with_code(email, request.POST.get("code", ""))
    except DomainError as error:
        return _refused(request, error, "readers/sign_in_code.html", {"email": email})
    start_reader_session(request, reader)
    return redirect("readers:account")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that open links must not spend the sign-in."""
    if request.method != "POST":
        return render(request, "readers/sign_in_link.html", {})
    try:
        limit_code_attempt(request, email="")
        reader = sign_in_with_link(token)
    except DomainError as error:
        return _refused(request, error, "readers/sign_in_link.html", {"spent": True})
    start_reader_session(request, reader)
    return redirect("readers:account")


@never_cache
def account(request: HttpRequest) -> HttpResponse:
    reader = current_reader(request)
    if reader is None:
        return redirect("readers:sign-in")
    return render(request, "readers/account.html", {
        "reader": reader, "orders": reader_orders(reader), "teams": reader_teams(reader),
        "shares": list(reader_shares(reader)), "rewards": sorted(reward_balances(reader).values(), key=str),
    })


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def share_page(request: HttpRequest) -> HttpResponse:
    """"Share this guide" on a guide (or a team on the account page): GET asks (signed in), POST makes
    (or finds) the reader's link."""
    reader = current_reader(request)
    if reader is None:
        messages.info(request, "Sign in to share: your friends' first orders earn you a reward.")
        return redirect("readers:sign-in")
    page_id = request.POST.get("page") or request.GET.get("page") or ""
    team_code = (request.POST.get("team") or request.GET.get("team") or "")[:20] or None
    if request.method != "POST":
        return render(request, "readers/share.html", {"page_id": page_id, "team_code": team_code or ""})
    try:
        link = share(reader, page_id=row_id(page_id) or 0, team_code=team_code)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Your share link: {request.build_absolute_uri(link.get_absolute_url())}")
    return redirect("readers:account")


@require_POST
def redeem(request: HttpRequest) -> HttpResponse:
    reader = current_reader(request)
    if reader is None:
        return redirect("readers:sign-in")
    try:
        voucher = redeem_rewards(reader, currency=request.POST.get("currency", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Your voucher: {voucher.code} ({voucher.value} {voucher.currency} off, one use).")
    return redirect("readers:account")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    end_reader_session(request)
    return redirect("readers:sign-in")


@require_POST
def sign_out_all(request: HttpRequest) -> HttpResponse:
    reader = current_reader(request)
    if reader is not None:
        sign_out_everywhere(reader)
    end_reader_session(request)
    messages.success(request, "You are signed out on every device.")
    return redirect("readers:sign-in")
