"""Editorial consistency: which products a page embeds that readers can no longer buy."""

from dataclasses import dataclass

from wagtail.blocks.stream_block import StreamValue
from wagtail.models import Revision

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
    return unavailable_embeds_by_page([page])[page.pk]


def _latest_bodies(pages: list) -> dict[int, StreamValue | None]:
    """Each page's body as its editor sees it: the latest revision's when it has unpublished changes."""
    revision_ids = [page.latest_revision_id for page in pages if page.has_unpublished_changes and page.latest_revision_id]
    revisions = Revision.objects.in_bulk(revision_ids) if revision_ids else {}
    bodies = {}
    for page in pages:
        revision = revisions.get(page.latest_revision_id) if page.has_unpublished_changes else None
        draft = page.with_content_json(revision.content) if revision is not None else page
        body = getattr(draft, "body", None)
        bodies[page.pk] = body if isinstance(body, StreamValue) else None
    return bodies


def unavailable_embeds_by_page(pages: list) -> dict[int, list[UnavailableEmbed]]:
    """``unavailable_embeds`` for many pages at once: one revision query and one catalog load for all."""
    bodies = _latest_bodies(pages)
    per_page: dict[int, StreamReferences] = {}
    everything = StreamReferences()
    for page_id, body in bodies.items():
        if body is None:
            continue
        per_page[page_id] = collect_references(body.stream_block, list(body.raw_data), StreamReferences())
        everything.product_ids |= per_page[page_id].product_ids
        everything.promotion_ids |= per_page[page_id].promotion_ids
    snapshot = load_catalog(everything) if everything.product_ids or everything.promotion_ids else None
    result: dict[int, list[UnavailableEmbed]] = {page.pk: [] for page in pages}
    for page_id, references in per_page.items():
        # A deal block embeds its deal's product.
        product_ids = references.product_ids | {
            snapshot.promotions[deal_id].variant.product_id for deal_id in references.promotion_ids
            if snapshot is not None and deal_id in snapshot.promotions}
        for product_id in sorted(product_ids):
            product = snapshot.products.get(product_id) if snapshot is not None else None
            offer = resolve_offer(product)
            if not offer.available:
                title = product.title if product is not None else f"Product #{product_id}"
                result[page_id].append(UnavailableEmbed(product_id=product_id, title=title,
                                                        reason=offer.unavailable_reason))
    return result
