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
# shares. A friend who buys days later from the same browser is still credited. Headless front ends
# send the cookie with their API requests (``credentials: "include"``).
REFERRAL_COOKIE = "kolshop_share"
_REFERRAL_SALT = "kolshop.referral.v1"


def referral_click_id(request) -> int | None:
    """The click id in the request's referral cookie, or None (absent, tampered with or past the window)."""
    value = request.get_signed_cookie(REFERRAL_COOKIE, default=None, salt=_REFERRAL_SALT,
                                      max_age=attribution_window().total_seconds())
    return row_id(value)


def remember_referral(request, response, *, click_id: int, keeps=lambda current: True) -> None:
    """Set the referral cookie to ``click_id`` unless the browser already carries a live one (first click wins)
    that ``keeps(current)`` says still stands (a click never counted does not)."""
    current = referral_click_id(request)
    if current is not None and keeps(current):
        return
    response.set_signed_cookie(REFERRAL_COOKIE, str(click_id), salt=_REFERRAL_SALT,
                               max_age=int(attribution_window().total_seconds()), httponly=True, samesite="Lax",
                               secure=settings.SESSION_COOKIE_SECURE)
