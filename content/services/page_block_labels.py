"""Labels of every block of a set of pages, for reports, earnings and link forms (registered with
``creators.services.block_labels`` in ``ContentConfig.ready``). Apart from ``block_labels`` because it
reads the page model, which the blocks (and so ``block_labels``) sit under."""

from content.models import ShoppableContentPage
from content.services.block_labels import _titles_for, stream_block_labels
from content.services.catalog import StreamReferences, collect_references


def page_block_labels(page_ids: set[int]) -> dict[tuple[int, str], str]:
    """{(page id, block id): label} for every block of the pages (their current row), in page order.

    Three queries whatever the number of pages and blocks: bodies, product titles, deal names.
    """
    bodies = list(ShoppableContentPage.objects.filter(pk__in=page_ids).order_by("path").values_list("pk", "body"))
    if not bodies:
        return {}
    stream_block = ShoppableContentPage._meta.get_field("body").stream_block
    references = StreamReferences()
    for _, body in bodies:
        collect_references(stream_block, list(body.raw_data), references)
    products, deals = _titles_for(references)
    return {
        (page_id, block_id): label
        for page_id, body in bodies
        for block_id, label in stream_block_labels(stream_block, list(body.raw_data), product_titles=products,
                                                   deal_titles=deals).items()
    }
