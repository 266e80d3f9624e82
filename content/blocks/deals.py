"""Blocks selling through the shop's own offers: a deal, a group buy, a storefront listing."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from content.api.listing_representation import listing_representation
from content.api.representation import deal_representation, group_buy_representation
from content.blocks.common import bulk_in_order, from_active_snapshot, note_block, own_label_block, package_paths
from content.services.catalog import load_promotions
from shop.models import Product


class DealChooserBlock(SnippetChooserBlock):
    """Chooses a shop deal (``shop.Promotion``); loads its variant, product and units used with the page."""

    catalog_reference = "promotion_ids"

    def __init__(self, **kwargs):
        super().__init__("shop.Promotion", **kwargs)

    def bulk_to_python(self, values):
        values = list(values)
        found = from_active_snapshot("promotion", values)
        return found if found is not None else load_promotions(values)

    def extract_references(self, value):
        """The deal and the product it sells: usage listings and brand reports find the product."""
        yield from super().extract_references(value)
        if value is not None:
            yield Product, str(value.variant.product_id), "", ""

    def clean(self, value):
        """The deal's own rules (``Promotion.clean``: active product, price below the list price)."""
        value = super().clean(value)
        if value is not None:
            try:
                value.clean()
            except ValidationError as error:
                raise ValidationError(" ".join(error.messages)) from error
        return value

    class Meta:
        icon = "pick"


class DealBlock(blocks.StructBlock):
    """A deal chosen from the shop's deals: the shop prices the buy link's line with it (one pricing authority).

    The API keeps the old shape (``deal_price``, ``ends_at``, ``note`` beside the resolved offer) and
    adds ``deal``: id, price, list price, starts/ends, remaining units (null when uncapped), active.
    """

    deal = DealChooserBlock(help_text=_("Choose or create the deal under Snippets › Deals."))
    note = note_block()
    own_label = own_label_block()

    class Meta:
        icon = "pick"
        label = _("Deal")
        template = "content/blocks/deal.html"

    def get_api_representation(self, value, context=None):
        return {**deal_representation(value.get("deal"), context), "note": value.get("note") or ""}


class RelatedChooserBlock(SnippetChooserBlock):
    """A snippet chooser whose values on a page load in one query, with ``related`` joined.

    Subclasses name the model and what their blocks read through it; nothing else differs."""

    target_label = ""
    related: tuple[str, ...] = ()

    def __init__(self, **kwargs):
        super().__init__(self.target_label, **kwargs)

    def bulk_to_python(self, values):
        return bulk_in_order(self.target_model.objects.select_related(*self.related), list(values))


class GroupCampaignChooserBlock(RelatedChooserBlock):
    """Chooses a group buy (``shop.GroupCampaign``)."""

    target_label = "shop.GroupCampaign"
    related = ("promotion__variant__product",)

    class Meta:
        icon = "group"


class GroupBuyBlock(blocks.StructBlock):
    """A group buy a creator embeds: readers open a team at the group price and share it (issue 18)."""

    campaign = GroupCampaignChooserBlock(help_text=_("Choose a group buy (Group buys in the menu)."))
    note = note_block()

    class Meta:
        icon = "group"
        label = _("Group buy")
        template = "content/blocks/group_buy.html"

    def get_api_representation(self, value, context=None):
        return {"group_buy": group_buy_representation(value.get("campaign"), context),
                "note": value.get("note") or ""}


class ListingChooserBlock(RelatedChooserBlock):
    """Chooses one of the creator's storefront listings (``shop.StorefrontListing``)."""

    target_label = "shop.StorefrontListing"
    related = ("offer__variant__product__brand",)

    def extract_references(self, value):
        """The listing and the product it sells: a change to either (a pause, a new price or bounds,
        stock) forgets the cached pages showing it (``content.services.page_cache.pages_showing``)."""
        yield from super().extract_references(value)
        if value is not None:
            yield Product, str(value.offer.variant.product_id), "", ""

    class Meta:
        icon = "list-ul"


class StorefrontListingBlock(blocks.StructBlock):
    """A listing from the creator's storefront (distribution): sold at the listing's price via ``price_line``."""

    listing = ListingChooserBlock(help_text=_("Choose one of your storefront listings."))
    note = note_block()

    class Meta:
        icon = "list-ul"
        label = _("Storefront listing")
        template = "content/blocks/listing.html"

    def get_api_representation(self, value, context=None):
        return {**listing_representation(value.get("listing"), context), "note": value.get("note") or ""}


DECONSTRUCT_ALIASES = package_paths(
    DealChooserBlock, DealBlock, RelatedChooserBlock, GroupCampaignChooserBlock, GroupBuyBlock, ListingChooserBlock,
    StorefrontListingBlock,
)
