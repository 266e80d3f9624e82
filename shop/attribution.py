"""Buy-link attribution: which creator, page and block sent a reader to a product.

The shop carries attribution as opaque ids (it knows nothing of creators or pages); the
`creators` app turns them into commissions. Links carry a signed token so a reader cannot
rewrite who gets the credit:

    /buy/<sku>/?ref=<token>     token = signed {"c": creator id, "p": page id, "b": block id}

Front ends that talk to the cart API pass the same token as ``attribution`` on a cart line.
"""

from dataclasses import asdict, dataclass
from urllib.parse import quote, urlencode

from django.core import signing

_SALT = "kolshop.attribution.v1"


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


def sign_attribution(attribution: Attribution) -> str:
    payload = {"c": attribution.creator_id, "p": attribution.page_id, "b": attribution.block_id}
    if attribution.click_id is not None:
        payload["k"] = attribution.click_id
    return signing.dumps(payload, salt=_SALT, compress=True)


def read_attribution(token: str) -> Attribution:
    """Decode a token from a buy link; raises InvalidAttribution when it was tampered with."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature as error:
        raise InvalidAttribution("The attribution token is invalid.") from error
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
    return f"{path}?{urlencode({'ref': sign_attribution(attribution)})}"


def attribution_as_dict(attribution: Attribution) -> dict:
    return asdict(attribution)
