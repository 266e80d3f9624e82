"""What a buyer needs from a shoppable block, as JSON: product, offer, variants, stock, buy link.

Pure functions over rows already loaded by ``content.services.catalog`` (no queries here, except
creating a missing image rendition the first time a size is asked for).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from shop.attribution import Attribution, sign_attribution
from shop.models import GroupCampaign, Product, Promotion, StockLevel, Variant
from shop.models.inventory import StockStatus
from shop.services.offers import Offer, resolve_offer, variant_stock_status
from shop.services.pricing import price_line, promotion_buy_path, remaining_units

from content.api.buy_links import page_buy_path
from content.services.catalog import api_rendition_specs

# Keys the API serializer puts in the block context (see content.api.fields.ShoppableBodyField).
ATTRIBUTION_CONTEXT_KEY = "kolshop_attribution"
BLOCK_ID_CONTEXT_KEY = "kolshop_block_id"
# A dict for one page's representation: what several blocks showing one product share is worked out once.
PAGE_MEMO_CONTEXT_KEY = "kolshop_page_memo"


def loaded(instance, relation: str) -> list:
    """``instance.<relation>.all()`` as a list, once per instance: every block showing a product reuses it.

    A prefetched relation still clones a queryset on each ``.all()``; the catalog snapshot's rows live
    for one request, so the list does too.
    """
    lists = instance.__dict__.setdefault("_kolshop_loaded", {})
    if relation not in lists:
        lists[relation] = list(getattr(instance, relation).all())
    return lists[relation]


def decimal_string(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def image_representation(image, *, alt: str = "") -> dict | None:
    if image is None:
        return None
    names_by_spec = {spec: name for name, spec in api_rendition_specs().items()}
    renditions = image.get_renditions(*names_by_spec)
    return {
        "id": image.pk,
        "alt": alt or image.default_alt_text or image.title,
        "width": image.width,
        "height": image.height,
        "renditions": {
            names_by_spec[spec]: {"url": rendition.url, "width": rendition.width, "height": rendition.height}
            for spec, rendition in renditions.items()
        },
    }


def stock_representation(variant: Variant, status: StockStatus | None = None) -> dict:
    """in_stock / low_stock with the count / out_of_stock; the count is only shown when it is low."""
    status = status or variant_stock_status(variant)
    return {"level": str(status.level), "quantity": status.quantity if status.level == StockLevel.LOW_STOCK else None}


def attribution_from_context(context: dict | None) -> Attribution:
    context = context or {}
    base = context.get(ATTRIBUTION_CONTEXT_KEY) or {}
    return Attribution(
        creator_id=base.get("creator_id"), page_id=base.get("page_id"), block_id=context.get(BLOCK_ID_CONTEXT_KEY) or ""
    )


def variant_representation(variant: Variant, *, attribution: Attribution, sellable: bool) -> dict:
    return _with_link(_buyable(_variant_facts(variant), sellable=sellable), attribution)


def _variant_facts(variant: Variant, status: StockStatus | None = None) -> dict:
    """A variant as every block shows it, but its buy link (which names the block)."""
    return {
        "id": variant.pk,
        "sku": variant.sku,
        "name": variant.name,
        "options": variant.option_values,
        "price": decimal_string(variant.price),
        "compare_at_price": decimal_string(variant.compare_at_price),
        "currency": variant.currency,
        "stock": stock_representation(variant, status),
    }


def product_representation(product: Product) -> dict:
    images = loaded(product, "images")
    primary = images[0] if images else None
    return {
        "id": product.pk,
        "title": product.title,
        "slug": product.slug,
        "brand": {"id": product.brand.pk, "name": product.brand.name, "slug": product.brand.slug},
        "image": image_representation(primary.image, alt=primary.alt_text) if primary else None,
        # Every gallery image, in the product's order (loaded with the page's catalog snapshot).
        "images": [image_representation(item.image, alt=item.alt_text) for item in images],
    }


@dataclass(frozen=True)
class _ResolvedOffer:
    """What a product's (or a chosen variant's) blocks share on one page; only buy links differ per block."""

    offer: Offer
    product: dict | None
    variants: list[tuple[dict, bool]]  # each variant's facts, and whether it gets a buy link
    chosen_index: int | None  # where the offered variant is in ``variants`` (always one of the product's own)


def _resolved_offer(product: Product | None, variant: Variant | None, context: dict | None) -> _ResolvedOffer:
    memo = (context or {}).get(PAGE_MEMO_CONTEXT_KEY)
    key = ("offer", product.pk if product is not None else None, variant.pk if variant is not None else None)
    if memo is not None and key in memo:
        return memo[key]
    variants = loaded(product, "variants") if product is not None else []
    offer: Offer = resolve_offer(product, variant, variants=variants)
    sellable = product is not None and product.is_active
    chosen_variant = offer.variant
    facts, chosen_index = [], None
    for index, item in enumerate(variants):
        # The chosen variant's stock status is the offer's (``resolve_offer`` worked it out).
        if item is chosen_variant or (chosen_variant is not None and item.pk == chosen_variant.pk):
            chosen_index = index
            facts.append(_buyable(_variant_facts(item, offer.stock), sellable=sellable))
        else:
            facts.append(_buyable(_variant_facts(item), sellable=sellable))
    resolved = _ResolvedOffer(offer=offer, product=product_representation(product) if product is not None else None,
                              variants=facts, chosen_index=chosen_index)
    if memo is not None:
        memo[key] = resolved
    return resolved


def _buyable(facts: dict, *, sellable: bool) -> tuple[dict, bool]:
    """A variant's facts and whether a block links to buying it (sellable and in stock), worked out once per page."""
    return facts, sellable and facts["stock"]["level"] != StockLevel.OUT_OF_STOCK


def _with_link(buyable: tuple[dict, bool], attribution: Attribution) -> dict:
    facts, may_buy = buyable
    return {**facts, "buy_url": page_buy_path(facts["sku"], attribution) if may_buy else None}


def offer_representation(product: Product | None, variant: Variant | None, context: dict | None) -> dict:
    """The resolved product of one block; unavailable products say why instead of failing the page."""
    resolved = _resolved_offer(product, variant, context)
    attribution = attribution_from_context(context)
    # Each variant is represented (and its buy link signed) once; the chosen one is a copy of its entry.
    represented = [_with_link(buyable, attribution) for buyable in resolved.variants]
    chosen = None if resolved.chosen_index is None else {**represented[resolved.chosen_index]}
    available = resolved.offer.available
    return {
        "product": resolved.product,
        "available": available,
        "unavailable_reason": resolved.offer.unavailable_reason,
        "variant": chosen,
        "variants": represented,
        # An available offer's variant is sellable and in stock: its buy link is the variant's.
        "buy_url": chosen["buy_url"] if available else None,
    }


def deal_info(promotion: Promotion, *, now) -> dict:
    """A deal as readers see it: ``active`` when ``price_line`` would price one unit with it now."""
    variant = promotion.variant
    price = price_line(variant, quantity=1, now=now, promotion=promotion)
    return {
        "id": promotion.pk,
        "price": decimal_string(promotion.price),
        "list_price": decimal_string(variant.price),
        "currency": promotion.currency,
        "starts_at": promotion.starts_at,
        "ends_at": promotion.ends_at,
        "remaining_units": remaining_units(promotion, units_used=getattr(promotion, "units_used", 0)),
        "active": price.promotion is not None and variant.product.is_active,
        "refusal": price.refusal,
    }


def deal_representation(promotion: Promotion | None, context: dict | None) -> dict:
    """A deal block: its variant's offer, the old ``deal_price``/``ends_at`` keys and ``deal`` details.

    Buy links carry the deal (``?deal=<id>``); the shop decides at the cart whether it still applies.
    """
    variant = promotion.variant if promotion is not None else None
    representation = offer_representation(variant.product if variant is not None else None, variant, context)
    if promotion is None:
        return {**representation, "deal_price": None, "ends_at": None, "deal": None}
    for item in [representation["variant"], *representation["variants"]]:
        if item is not None and item["id"] == variant.pk and item["buy_url"]:
            item["buy_url"] = promotion_buy_path(item["buy_url"], promotion.pk)
    if representation["buy_url"]:
        representation["buy_url"] = promotion_buy_path(representation["buy_url"], promotion.pk)
    return {**representation, "deal_price": decimal_string(promotion.price), "ends_at": promotion.ends_at,
            "deal": deal_info(promotion, now=timezone.now())}


def group_buy_representation(campaign: GroupCampaign | None, context: dict | None) -> dict | None:
    """A group-buy block: the group price, team size and window, and what opening a team needs.

    ``open_team_url`` is the commerce API's endpoint; ``attribution`` the signed buy-link token to send
    with it, so every member of the team the reader opens credits this page's creator.
    """
    if campaign is None:
        return None
    promotion = campaign.promotion
    variant = promotion.variant
    price = price_line(variant, quantity=1, now=timezone.now(), promotion=promotion, group_member=True)
    attribution = attribution_from_context(context)
    return {
        "id": campaign.pk,
        "sku": variant.sku,
        "product_title": variant.product.title,
        "group_price": decimal_string(promotion.price),
        "list_price": decimal_string(variant.price),
        "currency": promotion.currency,
        "team_size": campaign.team_size,
        "window_hours": round(campaign.window.total_seconds() / 3600, 2),
        "new_buyers_only": campaign.new_buyers_only,
        "ends_at": promotion.ends_at,
        "active": price.promotion is not None and variant.product.is_active,
        "refusal": price.refusal,
        "open_team_url": f"/api/v1/group-buys/campaigns/{campaign.pk}/teams",
        "attribution": None if attribution.is_empty() else sign_attribution(attribution, sku=variant.sku),
    }
