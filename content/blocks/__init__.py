"""Shoppable StreamField blocks. Each resolves to catalog rows fetched in bulk, never one by one.

The blocks live in modules by kind (``products``, ``deals``, ``stream``); every public name is importable from
here, and every block deconstructs as ``content.blocks.<Name>`` (``common.package_paths``), the path existing
migrations name."""

from content.blocks.common import OWN_LABEL, own_label_block
from content.blocks.deals import (
    DealBlock,
    DealChooserBlock,
    GroupBuyBlock,
    GroupCampaignChooserBlock,
    ListingChooserBlock,
    RelatedChooserBlock,
    StorefrontListingBlock,
)
from content.blocks.products import (
    ComparisonTableBlock,
    HotspotBlock,
    ProductCardBlock,
    ProductChooserBlock,
    ProductGridBlock,
    ProductGridItemBlock,
    ProductVariantStructBlock,
    ShopTheLookBlock,
    VariantChooserBlock,
    check_variant_belongs_to_product,
)
from content.blocks.stream import SHOPPABLE_BLOCK_TYPES, ArticleStreamBlock, CatalogImageChooserBlock

__all__ = [
    "OWN_LABEL", "SHOPPABLE_BLOCK_TYPES", "ArticleStreamBlock", "CatalogImageChooserBlock", "ComparisonTableBlock",
    "DealBlock", "DealChooserBlock", "GroupBuyBlock", "GroupCampaignChooserBlock", "HotspotBlock",
    "ListingChooserBlock", "ProductCardBlock", "ProductChooserBlock", "ProductGridBlock", "ProductGridItemBlock",
    "ProductVariantStructBlock", "RelatedChooserBlock", "ShopTheLookBlock", "StorefrontListingBlock",
    "VariantChooserBlock", "check_variant_belongs_to_product", "own_label_block",
]
