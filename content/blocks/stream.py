"""A guide's body: every block a creator can put in an article, represented for the API with its block id."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from content.api.representation import BLOCK_ID_CONTEXT_KEY
from content.blocks.common import from_active_snapshot, package_paths
from content.blocks.deals import DealBlock, GroupBuyBlock, StorefrontListingBlock
from content.blocks.products import ComparisonTableBlock, ProductCardBlock, ProductGridBlock, ShopTheLookBlock
from content.services.block_labels import BlockTitles
from media.blocks import VideoChooserBlock


SHOPPABLE_BLOCK_TYPES = ("product_card", "product_grid", "comparison_table", "shop_the_look", "deal")


class CatalogImageChooserBlock(ImageChooserBlock):
    """An image block that reads its images (with the API's renditions) from the page's catalog snapshot
    while one is active (``content.services.catalog.prefetch_stream``); otherwise Wagtail's own lookup."""

    def bulk_to_python(self, values):
        values = list(values)
        found = from_active_snapshot("image", values)
        return found if found is not None else super().bulk_to_python(values)

    def deconstruct(self):
        """Stored exactly as Wagtail's image block (an image id): migrations need not tell them apart."""
        _path, args, kwargs = super().deconstruct()
        return "wagtail.images.blocks.ImageChooserBlock", args, kwargs


class ArticleStreamBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", icon="title", template="content/blocks/heading.html")
    paragraph = blocks.RichTextBlock(icon="pilcrow")
    image = CatalogImageChooserBlock(template="content/blocks/image.html")
    product_card = ProductCardBlock()
    product_grid = ProductGridBlock()
    comparison_table = ComparisonTableBlock()
    shop_the_look = ShopTheLookBlock()
    deal = DealBlock()
    group_buy = GroupBuyBlock()
    listing = StorefrontListingBlock()
    video = VideoChooserBlock(template="content/blocks/video.html", help_text=_("A video you uploaded."))

    def get_api_representation(self, value, context=None):
        """Like StreamBlock's, but each block knows its own id (for the buy links' attribution).

        A block that can be represented from its stored value (``api_representation_of_raw``, while a catalog
        snapshot is active: ``content.services.catalog.stream_catalog``) is, without building its value; every
        other block is read from the stream as usual (each block type converted once, from the snapshot)."""
        if value is None:
            return []
        context = context or {}
        titles = BlockTitles()
        blocks_out = []
        for index, item in enumerate(value.raw_data):
            block_type, block_id = item["type"], item.get("id")
            child_block = self.child_blocks[block_type]
            child_context = {**context, BLOCK_ID_CONTEXT_KEY: block_id}
            of_raw = getattr(child_block, "api_representation_of_raw", None)
            answer = of_raw(item["value"], child_context) if of_raw is not None else None
            if answer is not None:
                represented, product = answer
                titles.add_product(product)
            else:
                child = value[index]
                represented = child_block.get_api_representation(child.value, context=child_context)
                titles.add_value(child.value)
            blocks_out.append({"type": block_type, "value": represented, "id": block_id})
        labels = titles.labels(value)
        for item in blocks_out:
            item["label"] = labels.get(item["id"], "")
        return blocks_out


DECONSTRUCT_ALIASES = package_paths(ArticleStreamBlock)
