"""Passwordless sign-in: mail a one-time link and a 6-digit code; either proves the address once.

Both secrets are stored only as keyed hashes (``SignInToken``), expire after
``KOLSHOP_READER_SIGN_IN_MINUTES`` and are spent together by the first successful use. A code allows
``KOLSHOP_READER_CODE_ATTEMPTS`` wrong guesses before its sign-in is void (with 10^6 codes and the
rate limits on the edges, guessing is hopeless). The address is matched through the one buyer
identity (``shop.services.buyer_identity.buyer_key``), so ``Ada@Example.com`` and ``ada@example.com`` are one
reader.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from readers.models import Reader, SignInToken
from shop.errors import InvalidInput, NotFound
from shop.services.buyer_identity import buyer_key

log = structlog.get_logger(__name__)


def _digest(purpose: str, value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"kolshop.reader.{purpose}|{value}".encode(),
                    hashlib.sha256).hexdigest()


def _code_hash(key: str, code: str) -> str:
    return _digest("code", f"{key}|{code}")


def clean_email(email: str) -> str:
    """The address as typed, trimmed; refused when it is no address at all (or too long for the column)."""
    address = (email or "").strip()
    try:
        validate_email(address)
    except ValidationError as error:
        raise InvalidInput("Enter a valid email address.", code="invalid_email", field="email") from error
    if len(address) > SignInToken._meta.get_field("email").max_length:
        raise InvalidInput("Enter a valid email address.", code="invalid_email", field="email")
    return address


def sign_in_link_url(token: str) -> str:
    return settings.KOLSHOP_SITE_URL.rstrip("/") + reverse("readers:sign-in-link", kwargs={"token": token})


def request_sign_in(email: str, *, now: datetime | None = None) -> SignInToken:
    """Mail a sign-in link and code to ``email`` (once the transaction commits). Any address may ask:
    the answer never says whether it bought before."""
    address = clean_email(email)
    now = now or timezone.now()
    key = buyer_key(address)
    token, code = secrets.token_urlsafe(32), f"{secrets.randbelow(10**6):06d}"
    sign_in = SignInToken.objects.create(
        buyer_key=key, email=address, link_hash=_digest("link", token), code_hash=_code_hash(key, code),
        created_at=now, expires_at=now + timedelta(minutes=settings.KOLSHOP_READER_SIGN_IN_MINUTES),
    )
    message = _sign_in_message(address, link=sign_in_link_url(token), code=code)
    transaction.on_commit(message.send)
    log.info("reader sign-in mailed", sign_in=sign_in.pk)
    return sign_in


def _sign_in_message(address: str, *, link: str, code: str) -> EmailMultiAlternatives:
    context = {"link": link, "code": code, "minutes": settings.KOLSHOP_READER_SIGN_IN_MINUTES}
    return EmailMultiAlternatives(
        subject=f"Your kolshop sign-in code: {code}",
        body=render_to_string("readers/email/sign_in.txt", context),
        to=[address],
    )


def _spend(sign_in: SignInToken, *, now: datetime) -> Reader:
    """Use the sign-in once (a conditional update: two clicks at once cannot both succeed)."""
    spent = SignInToken.objects.filter(pk=sign_in.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not spent:
        raise NotFound("This sign-in link or code has expired or was already used.", code="sign_in_invalid")
    reader, created = Reader.objects.get_or_create(
        buyer_key=sign_in.buyer_key, defaults={"email": sign_in.email, "verified_at": now})
    if not created:
        Reader.objects.filter(pk=reader.pk).update(email=sign_in.email, verified_at=now)
        reader.email, reader.verified_at = sign_in.email, now
    return reader


@transaction.atomic
def sign_in_with_link(token: str, *, now: datetime | None = None) -> Reader:
    """The reader followed the mailed link: their address is verified."""
    now = now or timezone.now()
    sign_in = SignInToken.objects.filter(link_hash=_digest("link", token.strip())).first()
    if sign_in is None:
        raise NotFound("This sign-in link or code has expired or was already used.", code="sign_in_invalid")
    return _spend(sign_in, now=now)


def sign_in_with_code(email: str, code: str, *, now: datetime | None = None) -> Reader:
    """The reader typed the mailed code: it must match an open sign-in mailed to the same buyer identity."""
    address = clean_email(email)
    now = now or timezone.now()
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        raise InvalidInput("Enter the 6-digit code from the e-mail.", code="invalid_code", field="code")
    key = buyer_key(address)
    with transaction.atomic():
        open_sign_ins = list(SignInToken.objects.select_for_update().filter(
            buyer_key=key, used_at__isnull=True, expires_at__gt=now,
            failed_attempts__lt=settings.KOLSHOP_READER_CODE_ATTEMPTS).order_by("pk"))
        expected = _code_hash(key, code)
        for sign_in in open_sign_ins:
            if hmac.compare_digest(sign_in.code_hash, expected):
                return _spend(sign_in, now=now)
        SignInToken.objects.filter(pk__in=[sign_in.pk for sign_in in open_sign_ins]).update(
            failed_attempts=F("failed_attempts") + 1)
    raise NotFound("This sign-in link or code has expired or was already used.", code="sign_in_invalid")


def sign_out_everywhere(reader: Reader) -> int:
    """Every session of this reader stops working (each carries the version it was signed in with)."""
    Reader.objects.filter(pk=reader.pk).update(session_version=F("session_version") + 1)
    reader.refresh_from_db(fields=["session_version"])
    return reader.session_version
