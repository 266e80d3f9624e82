"""Buy-link attribution: which creator, page and block sent a reader to a product.

The shop carries attribution as opaque ids (it knows nothing of creators or pages) and stores
them as raw facts on cart and order lines; the ``creators`` app decides who sold each line
(``creators.services.attribution``). Links carry a signed token so a reader cannot rewrite who
gets the credit:

    /buy/<sku>/?ref=<token>     token = signed {"c": creator id, "p": page id, "b": block id,
                                                "k": click id (optional), "s": the SKU}

A token is bound to the SKU it was issued for and expires with the attribution window
(``KOLSHOP_ATTRIBUTION_WINDOW_DAYS``): copied onto another product or kept past the window, it
is refused. Front ends that talk to the cart API pass the same token as ``attribution``.
"""

from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import lru_cache
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.core import signing

from shop.errors import InvalidInput
from shop.validation import row_id

_SALT = "kolshop.attribution.v2"


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
    payload = {"c": attribution.creator_id, "p": attribution.page_id, "b": attribution.block_id, "s": sku}
    if attribution.click_id is not None:
        payload["k"] = attribution.click_id
    # What ``signing.dumps(payload, salt=_SALT, compress=True)`` does, with one signer per secret key:
    # a page signs one link per variant shown.
    return _signer(settings.SECRET_KEY).sign_object(payload, compress=True)


@lru_cache(maxsize=4)
def _signer(secret_key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(key=secret_key, salt=_SALT)


def read_attribution(token: str, *, sku: str | None) -> Attribution:
    """Decode a token for ``sku`` (None: a page link's token); InvalidAttribution when it was tampered
    with, has expired or was issued for another SKU."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=attribution_window())
    except signing.SignatureExpired as error:
        raise InvalidAttribution("The attribution token has expired.") from error
    except signing.BadSignature as error:
        raise InvalidAttribution("The attribution token is invalid.") from error
    if not isinstance(payload, dict) or "s" not in payload or payload["s"] != sku:
        raise InvalidAttribution("The attribution token was issued for another product.")
    try:
        return Attribution(
            creator_id=int(payload["c"]) if payload.get("c") is not None else None,
            page_id=int(payload["p"]) if payload.get("p") is not None else None,
            block_id=str(payload.get("b") or "")[:64],
            click_id=int(payload["k"]) if payload.get("k") is not None else None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidAttribution("The attribution token is malformed.") from error


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
