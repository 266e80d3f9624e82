"""Buy-link attribution: which creator, page and block sent a reader to a product.

The shop carries attribution as opaque ids (it knows nothing of creators or pages) and stores
them as raw facts on cart and order lines; the ``creators`` app decides who sold each line
(``creators.services.attribution``). Links carry a signed token so a reader cannot rewrite who
gets the credit:

    /buy/<sku>/?ref=<token>     token = signed (creator id, page id, block id, click id (optional),
                                                the SKU, when it was signed)

A token is bound to the SKU it was issued for and expires with the attribution window
(``KOLSHOP_ATTRIBUTION_WINDOW_DAYS``): copied onto another product or kept past the window, it
is refused. Front ends that talk to the cart API pass the same token as ``attribution``.

Every ``/r/`` follow signs one, so the token is one HMAC-SHA256 (``a3.<body>.<mac>``, URL-safe as it
stands) rather than Django's ``TimestampSigner`` over compressed JSON, about a fifth of a follow's CPU
with the quoting its ``:`` needed. Tokens signed before it (``signing.dumps(..., compress=True)``) sit in
pages, carts and front ends' caches: they are read as before until the attribution window has passed.
"""

import base64
import hmac
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import lru_cache
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.core import signing

from shop.cached_settings import cached_setting
from shop.errors import InvalidInput
from shop.validation import row_id

_SALT = "kolshop.attribution.v2"  # tokens signed before v3, still read until they expire
_TOKEN_PREFIX = "a3."
_KEY_SALT = b"kolshop.attribution.v3"


@dataclass(frozen=True)
class Attribution:
    creator_id: int | None = None
    page_id: int | None = None
    block_id: str = ""
    click_id: int | None = None

    def is_empty(self) -> bool:
        return self.creator_id is None and self.page_id is None and not self.block_id


class InvalidAttribution(ValueError):
    pass


def attribution_window() -> timedelta:
    """How long a buy link credits its creator: a token's lifetime and the window at placement."""
    return timedelta(days=settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS)


def sign_attribution(attribution: Attribution, *, sku: str | None) -> str:
    """A timestamped token for ``sku``; ``sku=None`` makes a token no cart line accepts (page links)."""
    body = _b64(_token_body(attribution, sku=sku, signed_at=int(_now())).encode())
    return f"{_TOKEN_PREFIX}{body}.{_mac(_token_key(cached_setting('SECRET_KEY')), body)}"


def read_attribution(token: str, *, sku: str | None) -> Attribution:
    """Decode a token for ``sku`` (None: a page link's token); InvalidAttribution when it was tampered
    with, has expired or was issued for another SKU."""
    fields = _token_fields(token)
    if fields["s"] != sku:
        raise InvalidAttribution("The attribution token was issued for another product.")
    return _attribution_of(fields)


def read_attribution_token(token: str) -> tuple[Attribution, str | None]:
    """What a token says: its attribution and the SKU it was issued for (None: a page link's), checked as
    ``read_attribution`` checks it but for the SKU (InvalidAttribution when tampered with or expired). Two tokens
    signed a moment apart for the same link say the same; their texts differ by the time. Never credit a purchase
    with it: a sale's token is read by ``read_attribution``, which also refuses one issued for another SKU."""
    fields = _token_fields(token)
    return _attribution_of(fields), fields["s"]


def _token_fields(token: str) -> dict:
    return _read_token(token) if token.startswith(_TOKEN_PREFIX) else _read_signed_before_v3(token)


def _attribution_of(fields: dict) -> Attribution:
    try:
        return Attribution(
            creator_id=int(fields["c"]) if fields.get("c") is not None else None,
            page_id=int(fields["p"]) if fields.get("p") is not None else None,
            block_id=str(fields.get("b") or "")[:64],
            click_id=int(fields["k"]) if fields.get("k") is not None else None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidAttribution("The attribution token is malformed.") from error


def _token_body(attribution: Attribution, *, sku: str | None, signed_at: int) -> str:
    """``c:p:k:signed_at:len(b):b`` then ``-`` (no SKU) or ``=`` and the SKU: the block id and SKU are free text,
    so the block id is length-prefixed and the SKU comes last."""
    numbers = ":".join("" if number is None else str(number)
                       for number in (attribution.creator_id, attribution.page_id, attribution.click_id))
    block = str(attribution.block_id or "")  # None from a live pin's attribution: read back as "", as before
    return f"{numbers}:{signed_at}:{len(block)}:{block}{'-' if sku is None else '=' + sku}"


def _read_token(token: str) -> dict:
    """A v3 token's fields (``c``, ``p``, ``k``, ``b``, ``s``); its MAC checked in constant time against the
    secret key and each of ``SECRET_KEY_FALLBACKS`` (rotation, as Django's signer), then its age."""
    body, _, mac = token.removeprefix(_TOKEN_PREFIX).partition(".")
    secrets = (cached_setting("SECRET_KEY"), *cached_setting("SECRET_KEY_FALLBACKS"))
    if not token.isascii() or not any(hmac.compare_digest(_mac(_token_key(secret), body), mac) for secret in secrets):
        raise InvalidAttribution("The attribution token is invalid.")
    try:
        creator, page, click, signed_at, length, rest = _unb64(body).decode().split(":", 5)
        block, sku = rest[:int(length)], rest[int(length):]
        fields = {"c": creator or None, "p": page or None, "k": click or None, "b": block,
                  "s": None if sku == "-" else sku[1:]}
        age = _now() - int(signed_at)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidAttribution("The attribution token is malformed.") from error
    if age > attribution_window().total_seconds():
        raise InvalidAttribution("The attribution token has expired.")
    return fields


def _read_signed_before_v3(token: str) -> dict:
    try:
        payload = signing.loads(token, salt=_SALT, max_age=attribution_window())
    except signing.SignatureExpired as error:
        raise InvalidAttribution("The attribution token has expired.") from error
    except signing.BadSignature as error:
        raise InvalidAttribution("The attribution token is invalid.") from error
    if not isinstance(payload, dict) or "s" not in payload:
        raise InvalidAttribution("The attribution token was issued for another product.")
    return payload


def _now() -> float:
    """The clock Django's signer reads (``django.core.signing.time``): one clock for both token formats, which
    tests pin once."""
    return signing.time.time()


@lru_cache(maxsize=8)
def _token_key(secret_key: str) -> bytes:
    """The MAC key for tokens: derived from the secret key with this purpose's salt (never the key itself)."""
    return hmac.digest(secret_key.encode(), _KEY_SALT, "sha256")


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.digest(key, body.encode("ascii"), "sha256"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def buy_path(sku: str, attribution: Attribution | None = None) -> str:
    """The path of a buy link for ``sku``; the shop's ``/buy/<sku>/`` view adds it to the reader's cart."""
    path = f"/buy/{quote(sku, safe='')}/"
    if attribution is None or attribution.is_empty():
        return path
    return f"{path}?ref={quote_plus(sign_attribution(attribution, sku=sku))}"  # as urlencode({"ref": …})


def attribution_as_dict(attribution: Attribution) -> dict:
    return asdict(attribution)


# A shared link's click, carried by the buyer's browser to the order: ``/r/`` sets this signed cookie when
# a reader's share is followed (the first share within the attribution window stays), and checkout and
# group-buy joins store its click id on the order (``Order.referral_click_id``) for the app that rewards
# shares. A friend who buys days later from the same browser is still credited. Headless front ends on the
# same site send the cookie with their API requests (``credentials: "include"``). A front end on another site
# never gets the cookie back (SameSite=Lax), so ``/r/`` also hands it the same signed value as a share token
# (``?share=`` on a redirect to another host), which it passes to the API as ``share_token``.
REFERRAL_COOKIE = "kolshop_share"
SHARE_TOKEN_PARAMETER = "share"
_REFERRAL_SALT = "kolshop.referral.v1"
_REFERRAL_TOKEN_SALT = "kolshop.referral.v2"


@dataclass(frozen=True)
class _Referral:
    click_id: int
    signed_at: int  # seconds since the epoch: the earlier share wins


def _referral_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_REFERRAL_TOKEN_SALT)


def share_token(click_id: int) -> str:
    """A shared link's click, signed and timestamped: the referral cookie's value and the API's
    ``share_token`` (one signer, one lifetime: the attribution window)."""
    return _referral_signer().sign(str(click_id))


def _read_referral(value: str | None) -> _Referral | None:
    """The referral in a cookie value or share token; None when absent or past the window. InvalidAttribution
    when it was tampered with."""
    if not value:
        return None
    signer = _referral_signer()
    try:
        click_id = row_id(signer.unsign(value, max_age=attribution_window()))
    except signing.SignatureExpired:
        return None
    except signing.BadSignature as error:
        raise InvalidAttribution("The share token is invalid.") from error
    if click_id is None:
        raise InvalidAttribution("The share token is malformed.")
    return _Referral(click_id, signing.b62_decode(value.split(signer.sep)[1]))


def _cookie_referral(request) -> _Referral | None:
    try:
        return _read_referral(request.COOKIES.get(REFERRAL_COOKIE))
    except InvalidAttribution:  # a forged or older cookie: read as Django's signed cookie (set before v2), or none
        click_id = row_id(request.get_signed_cookie(REFERRAL_COOKIE, default=None, salt=_REFERRAL_SALT,
                                                    max_age=attribution_window().total_seconds()))
        return None if click_id is None else _Referral(click_id, 0)


def referral_click_id(request, *, share_token: str | None = None) -> int | None:
    """The one rule for which share brought this buyer: the click in the browser's referral cookie or in the
    ``share_token`` a front end on another site passes, the earlier share winning (first share wins), or None
    (neither, or both past the window). A tampered token is bad input (400 ``invalid_share_token``)."""
    try:
        from_token = _read_referral(share_token)
    except InvalidAttribution as error:
        raise InvalidInput(str(error), code="invalid_share_token", field="share_token") from error
    referrals = [referral for referral in (_cookie_referral(request), from_token) if referral]
    if not referrals:
        return None
    return min(referrals, key=lambda referral: referral.signed_at).click_id


def remember_referral(request, response, *, click_id: int, keeps=lambda current: True) -> str | None:
    """Set the referral cookie to ``click_id`` unless the browser already carries a live one (first click wins)
    that ``keeps(current)`` says still stands (a click never counted does not). Returns the share token the
    browser now carries (None when the kept cookie is one set before share tokens)."""
    current = _cookie_referral(request)
    if current is not None and keeps(current.click_id):
        return request.COOKIES[REFERRAL_COOKIE] if current.signed_at else None
    token = share_token(click_id)
    response.set_cookie(REFERRAL_COOKIE, token, max_age=int(attribution_window().total_seconds()), httponly=True,
                        samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return token
