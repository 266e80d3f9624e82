"""Labels of every block of a set of pages, for reports, earnings and link forms (registered with
``creators.services.block_labels`` in ``ContentConfig.ready``). Apart from ``block_labels`` because it
reads the page model, which the blocks (and so ``block_labels``) sit under."""

import json

from wagtail.models import Revision

from content.models import ShoppableContentPage
from content.services.block_labels import _titles_for, stream_block_labels
from content.services.catalog import StreamReferences, collect_references


def _raw_items(body) -> list:
    """A stream's raw blocks, whether read from the page row (a StreamValue) or a revision (JSON text)."""
    if hasattr(body, "raw_data"):
        return [item for item in body.raw_data if item is not None]
    if isinstance(body, str):
        try:
            body = json.loads(body) if body.strip() else []
        except ValueError:
            return []
    return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []


def _bodies(page_ids: set[int]) -> list[tuple[int, list, list]]:
    """(page id, live blocks, latest draft's blocks) in page order; the draft is [] when the page has none.

    A creator names (and links) the blocks they are editing, so the latest revision counts too: one query
    for the rows, one for the drafts of the pages that have unpublished changes.
    """
    rows = list(ShoppableContentPage.objects.filter(pk__in=page_ids).order_by("path")
                .values_list("pk", "body", "has_unpublished_changes", "latest_revision_id"))
    draft_ids = {revision_id for _, _, changed, revision_id in rows if changed and revision_id}
    drafts = dict(Revision.objects.filter(pk__in=draft_ids).values_list("pk", "content")) if draft_ids else {}
    return [
        (page_id, _raw_items(body),
         _raw_items((drafts.get(revision_id) or {}).get("body")) if changed and revision_id else [])
        for page_id, body, changed, revision_id in rows
    ]


def page_block_labels(page_ids: set[int]) -> dict[tuple[int, str], str]:
    """{(page id, block id): label} for every block of the pages, in page order: the latest draft's
    label for a block it has, the live label for a block only the live page still has.

    Four queries whatever the number of pages and blocks: bodies, drafts, product titles, deal names.
    """
    bodies = _bodies(page_ids)
    if not bodies:
        return {}
    stream_block = ShoppableContentPage._meta.get_field("body").stream_block
    references = StreamReferences()
    for _, live, draft in bodies:
        collect_references(stream_block, live + draft, references)
    products, deals = _titles_for(references)
    labels: dict[tuple[int, str], str] = {}
    for page_id, live, draft in bodies:
        for items in (draft, live):
            for block_id, label in stream_block_labels(stream_block, items, product_titles=products,
                                                       deal_titles=deals).items():
                labels.setdefault((page_id, block_id), label)
    return labels
