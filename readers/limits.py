"""Sign-in abuse limits: per client address and per e-mail address (``KOLSHOP_RATE_LIMITS``).

Asking for a sign-in mail counts against ``reader_sign_in`` (the client) and ``reader_sign_in_email``
(the buyer identity asked for, so nobody can flood one inbox from many addresses); typing a code counts
against ``reader_code`` and ``reader_code_email`` the same way. Over either limit: ``RateLimited``.
"""

from django.http import HttpRequest

from shop.errors import RateLimited
from shop.rate_limits import count_request
from shop.services.buyer_identity import buyer_key


def _check(request: HttpRequest, *, scope: str, email: str) -> None:
    retry_after = count_request(request, scope=scope)
    if retry_after is None and email.strip():
        retry_after = count_request(request, scope=f"{scope}_email", key=buyer_key(email))
    if retry_after is not None:
        raise RateLimited("Too many sign-in attempts; try again shortly.", retry_after=retry_after)


def limit_sign_in_request(request: HttpRequest, *, email: str) -> None:
    _check(request, scope="reader_sign_in", email=email)


def limit_code_attempt(request: HttpRequest, *, email: str) -> None:
    _check(request, scope="reader_code", email=email)
