"""What every shoppable block module shares: loading chosen rows in order, the creator's own label, and the
paths blocks deconstruct to (``content.blocks.<Name>``, whichever module of the package defines them)."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from content.services.catalog import active_snapshot


def bulk_in_order(queryset, values):
    """Return instances for ``values`` (pks or None) in order, with one query for all of them."""
    objects = queryset.in_bulk([value for value in values if value is not None])
    return [objects.get(value) if value is not None else None for value in values]


# A chooser's kind of row: the ids the active snapshot was asked for, and the rows it loaded.
_SNAPSHOT_ROWS = {
    "product": ("requested_product_ids", "products"),
    "variant": ("requested_variant_ids", "variants"),
    "image": ("requested_image_ids", "images"),
    "promotion": ("requested_promotion_ids", "promotions"),
}


def from_active_snapshot(kind: str, values: list) -> list | None:
    """The ``kind`` rows ``values`` (ids or None) name, in order, from the page's active catalog snapshot
    (``content.services.catalog``); None when no snapshot is active or it was not asked for every one of them
    (the chooser loads them itself)."""
    snapshot = active_snapshot()
    requested, loaded_rows = _SNAPSHOT_ROWS[kind]
    if snapshot is None or not snapshot.covers(getattr(snapshot, requested), values):
        return None
    rows = getattr(snapshot, loaded_rows)
    return [rows.get(value) if value is not None else None for value in values]


def own_label_block() -> blocks.CharBlock:
    """The creator's own name for a shoppable block: reports, earnings, link forms and the API's block
    ``label`` use it first (``content.services.block_labels.block_label``); block values leave it out."""
    return blocks.CharBlock(
        required=False, max_length=80, label=_("Your label"),
        help_text=_("Optional: how this block is named in your reports, earnings and links."),
    )


OWN_LABEL = "own_label"


def note_block() -> blocks.CharBlock:
    """The creator's optional short note beside a deal, a group buy or a listing (the API's ``note``)."""
    return blocks.CharBlock(required=False, max_length=200)


def package_paths(*block_classes) -> dict:
    """A module's ``DECONSTRUCT_ALIASES`` (Wagtail's ``Block.canonical_module_path`` reads it): each block class
    deconstructs as ``content.blocks.<Name>``, the path existing migrations name, not its module's own."""
    return {block_class: f"content.blocks.{block_class.__name__}" for block_class in block_classes}
