"""Following a buy link: ``/buy/<sku>/?ref=<token>`` puts one unit in the reader's cart.

A token that is forged, expired or issued for another SKU still sells, without credit. A valid
token without a click id (buy buttons on pages and in the content API carry none; tracked links
``/r/<code>/`` already counted theirs) announces ``events.buy_link_followed`` so the app that
counts clicks (creators) records one exactly as for a tracked link and returns its id; the click
id then goes on the cart line with the rest of the token. Front ends that pass the token to the
cart API instead (``attribution`` on add-line) get the same click through ``with_counted_click``.

``?deal=<id>`` asks for a promotion's price; once the deal is over (ended, sold out, not started)
the unit is added at the list price and the result says why, for the cart page to tell the reader.
"""

from dataclasses import dataclass, replace

from shop import events
from shop.attribution import Attribution, InvalidAttribution, read_attribution
from shop.models import Cart, CartLine, Variant
from shop.services.cart import ListingUnavailable, PromotionUnavailable, add_to_cart
from shop.services.client_identity import client_ip


@dataclass(frozen=True)
class Visitor:
    """Who followed the link, as the request tells it (never stored as such)."""

    ip: str
    user_agent: str
    referrer: str = ""

    @classmethod
    def of(cls, request) -> "Visitor":
        # META: ``request.headers`` would copy every header of the request into a new dict first.
        return cls(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
                   referrer=request.META.get("HTTP_REFERER", ""))


def _record_click(attribution: Attribution, *, sku: str, visitor: Visitor) -> int | None:
    product_id = Variant.objects.filter(sku=sku).values_list("product_id", flat=True).first()
    if product_id is None:
        return None
    results = events.buy_link_followed.send(
        creator_id=attribution.creator_id, page_id=attribution.page_id, block_id=attribution.block_id, sku=sku,
        product_id=product_id, ip=visitor.ip, user_agent=visitor.user_agent, referrer=visitor.referrer,
    )
    return next((result for result in results if result is not None), None)


@dataclass(frozen=True)
class FollowedBuyLink:
    line: CartLine
    promotion_refused: PromotionUnavailable | ListingUnavailable | None = None


def counts_a_click(attribution: Attribution | None) -> bool:
    """``with_counted_click`` records a click for this attribution (its token carries a creator but no click)."""
    return attribution is not None and attribution.creator_id is not None and attribution.click_id is None


def with_counted_click(attribution: Attribution | None, *, sku: str, visitor: Visitor) -> Attribution | None:
    """The attribution with the click its buy link stands for: recorded now when the token carries none."""
    if counts_a_click(attribution):
        return replace(attribution, click_id=_record_click(attribution, sku=sku, visitor=visitor))
    return attribution


def follow_buy_link(cart: Cart, *, sku: str, token: str, visitor: Visitor,
                    promotion_id: int | None = None, listing_id: int | None = None) -> FollowedBuyLink:
    """Add one unit of ``sku`` with the token's attribution (and a click counted for it), at the deal's
    or storefront listing's price when ``promotion_id`` / ``listing_id`` still applies, else at the list price."""
    attribution = None
    if token:
        try:
            attribution = read_attribution(token, sku=sku)
        except InvalidAttribution:
            attribution = None
    attribution = with_counted_click(attribution, sku=sku, visitor=visitor)
    try:
        return FollowedBuyLink(add_to_cart(cart, sku=sku, quantity=1, attribution=attribution,
                                           promotion_id=promotion_id, listing_id=listing_id))
    except (PromotionUnavailable, ListingUnavailable) as refused:
        # A deal that is over or a storefront listing no longer on sale: the reader still gets the
        # product, at the list price, and the cart page says why (README: Distribution).
        line = add_to_cart(cart, sku=sku, quantity=1, attribution=attribution, promotion_id=promotion_id,
                           accept_list_price=True, listing_id=listing_id)
        return FollowedBuyLink(line, promotion_refused=refused)
