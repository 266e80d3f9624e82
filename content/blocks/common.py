"""What every shoppable block module shares: loading chosen rows in order, the creator's own label, and the
paths blocks deconstruct to (``content.blocks.<Name>``, whichever module of the package defines them)."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks


def bulk_in_order(queryset, values):
    """Return instances for ``values`` (pks or None) in order, with one query for all of them."""
    objects = queryset.in_bulk([value for value in values if value is not None])
    return [objects.get(value) if value is not None else None for value in values]


def own_label_block() -> blocks.CharBlock:
    """The creator's own name for a shoppable block: reports, earnings, link forms and the API's block
    ``label`` use it first (``content.services.block_labels.block_label``); block values leave it out."""
    return blocks.CharBlock(
        required=False, max_length=80, label=_("Your label"),
        help_text=_("Optional: how this block is named in your reports, earnings and links."),
    )


OWN_LABEL = "own_label"


def package_paths(*block_classes) -> dict:
    """A module's ``DECONSTRUCT_ALIASES`` (Wagtail's ``Block.canonical_module_path`` reads it): each block class
    deconstructs as ``content.blocks.<Name>``, the path existing migrations name, not its module's own."""
    return {block_class: f"content.blocks.{block_class.__name__}" for block_class in block_classes}
