"""Editorial consistency: which products a page embeds that readers can no longer buy."""

from dataclasses import dataclass

from wagtail.blocks.stream_block import StreamValue

from content.services.catalog import StreamReferences, collect_references, load_catalog
from shop.services.offers import UNAVAILABLE_MESSAGES, resolve_offer


@dataclass(frozen=True)
class UnavailableEmbed:
    product_id: int
    title: str
    reason: str

    @property
    def message(self) -> str:
        return str(UNAVAILABLE_MESSAGES[self.reason])


def unavailable_embeds(page) -> list[UnavailableEmbed]:
    """Archived, deleted or sold-out products in the page's latest draft (what its editor edits)."""
    draft = page.get_latest_revision_as_object() if page.has_unpublished_changes else page
    body = getattr(draft, "body", None)
    if not isinstance(body, StreamValue):
        return []
    references = collect_references(body.stream_block, list(body.raw_data), StreamReferences())
    snapshot = load_catalog(StreamReferences(product_ids=references.product_ids,
                                             promotion_ids=references.promotion_ids))
    # A deal block embeds its deal's product.
    product_ids = references.product_ids | {deal.variant.product_id for deal in snapshot.promotions.values()}
    embeds = []
    for product_id in sorted(product_ids):
        product = snapshot.products.get(product_id)
        offer = resolve_offer(product)
        if not offer.available:
            title = product.title if product is not None else f"Product #{product_id}"
            embeds.append(UnavailableEmbed(product_id=product_id, title=title, reason=offer.unavailable_reason))
    return embeds
