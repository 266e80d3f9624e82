"""Shoppable StreamField blocks. Each resolves to catalog rows fetched in bulk, never one by one."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.stream_block import StreamValue
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from content.api.representation import (
    BLOCK_ID_CONTEXT_KEY,
    deal_representation,
    decimal_string,
    image_representation,
    loaded,
    offer_representation,
)
from content.services.catalog import active_snapshot, load_promotions, snapshot_for_stream, using_snapshot
from media.blocks import VideoChooserBlock
from shop.models import Product, ProductImage, ProductStatus, Variant
from shop.services.offers import with_availability


def _bulk_in_order(queryset, values):
    """Return instances for ``values`` (pks or None) in order, with one query for all of them."""
    objects = queryset.in_bulk([value for value in values if value is not None])
    return [objects.get(value) if value is not None else None for value in values]


class ProductChooserBlock(SnippetChooserBlock):
    """Chooses an active product; loads brand, variants, stock and images for all blocks at once."""

    def __init__(self, **kwargs):
        super().__init__("shop.Product", **kwargs)

    def bulk_to_python(self, values):
        values = list(values)
        snapshot = active_snapshot()
        if snapshot is not None and snapshot.covers(snapshot.requested_product_ids, values):
            return [snapshot.products.get(value) if value is not None else None for value in values]
        queryset = Product.objects.select_related("brand").prefetch_related(
            Prefetch("variants", queryset=with_availability(Variant.objects.order_by("sort_order", "pk"))),
            Prefetch("images", queryset=ProductImage.objects.select_related("image").order_by("sort_order")),
        )
        return _bulk_in_order(queryset, values)

    def clean(self, value):
        value = super().clean(value)
        if value is not None and value.status != ProductStatus.ACTIVE:
            raise ValidationError(
                _("“%(title)s” is archived and can't be sold; choose an active product.") % {"title": value.title}
            )
        return value

    class Meta:
        icon = "tag"


class VariantChooserBlock(SnippetChooserBlock):
    def __init__(self, **kwargs):
        super().__init__("shop.Variant", **kwargs)

    def bulk_to_python(self, values):
        values = list(values)
        snapshot = active_snapshot()
        if snapshot is not None and snapshot.covers(snapshot.requested_variant_ids, values):
            return [snapshot.variants.get(value) if value is not None else None for value in values]
        return _bulk_in_order(with_availability(Variant.objects.all()), values)


def check_variant_belongs_to_product(product: Product | None, variant: Variant | None) -> dict:
    if product is not None and variant is not None and variant.product_id != product.pk:
        return {
            "variant": ValidationError(
                _("Variant %(sku)s belongs to another product, not “%(title)s”.")
                % {"sku": variant.sku, "title": product.title}
            )
        }
    return {}


class ProductVariantStructBlock(blocks.StructBlock):
    """A StructBlock with ``product`` and optional ``variant`` children that must agree."""

    def get_api_representation(self, value, context=None):
        """The resolved offer (product, variants, stock, attributed buy link) plus the block's own fields."""
        representation = offer_representation(value.get("product"), value.get("variant"), context)
        for name, child_block in self.child_blocks.items():
            if name in ("product", "variant"):
                continue
            if isinstance(child_block, blocks.DecimalBlock):
                representation[name] = decimal_string(value.get(name))
            else:
                representation[name] = child_block.get_api_representation(value.get(name), context=context)
        return representation

    def clean(self, value):
        value = super().clean(value)
        errors = check_variant_belongs_to_product(value.get("product"), value.get("variant"))
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value


class ProductCardBlock(ProductVariantStructBlock):
    product = ProductChooserBlock()
    variant = VariantChooserBlock(required=False, help_text=_("Optional: feature one variant."))
    note = blocks.RichTextBlock(
        required=False, features=["bold", "italic", "link"], help_text=_("Why you recommend it.")
    )

    class Meta:
        icon = "tag"
        label = _("Product card")
        template = "content/blocks/product_card.html"


class ProductGridItemBlock(ProductVariantStructBlock):
    product = ProductChooserBlock()
    variant = VariantChooserBlock(required=False)
    caption = blocks.CharBlock(required=False, max_length=120)

    class Meta:
        icon = "tag"
        label = _("Product")


class ProductGridBlock(blocks.StructBlock):
    title = blocks.CharBlock(required=False, max_length=120)
    layout = blocks.ChoiceBlock(choices=[("grid", _("Grid")), ("carousel", _("Carousel"))], default="grid")
    items = blocks.ListBlock(ProductGridItemBlock(), min_num=1, max_num=48)

    class Meta:
        icon = "grip"
        label = _("Product grid or carousel")
        template = "content/blocks/product_grid.html"


class ComparisonTableBlock(blocks.StructBlock):
    title = blocks.CharBlock(required=False, max_length=120)
    products = blocks.ListBlock(ProductChooserBlock(), min_num=2, max_num=8)
    attributes = blocks.ListBlock(
        blocks.CharBlock(max_length=80),
        min_num=1,
        help_text=_("Attribute names to compare, as written on the products (e.g. 'Battery life')."),
    )
    show_price = blocks.BooleanBlock(required=False, default=True)

    class Meta:
        icon = "table"
        label = _("Comparison table")
        template = "content/blocks/comparison_table.html"

    def get_api_representation(self, value, context=None):
        products = list(value.get("products") or [])
        attribute_names = [str(name) for name in value.get("attributes") or []]
        values_by_product = [
            {attribute.name: attribute.value for attribute in loaded(product, "attributes")} if product else {}
            for product in products
        ]
        return {
            "title": value.get("title") or "",
            "show_price": bool(value.get("show_price")),
            "products": [offer_representation(product, None, context) for product in products],
            "rows": [
                {"attribute": name, "values": [values.get(name) for values in values_by_product]}
                for name in attribute_names
            ],
        }

    def clean(self, value):
        value = super().clean(value)
        products = [product for product in value.get("products") or [] if product is not None]
        if len({product.pk for product in products}) != len(products):
            raise StructBlockValidationError(
                block_errors={"products": ValidationError(_("Each product may appear only once in a comparison."))}
            )
        return value


class HotspotBlock(ProductVariantStructBlock):
    product = ProductChooserBlock()
    variant = VariantChooserBlock(required=False)
    x = blocks.DecimalBlock(
        min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=2,
        help_text=_("Horizontal position, 0–100 % from the left edge."),
    )
    y = blocks.DecimalBlock(
        min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=2,
        help_text=_("Vertical position, 0–100 % from the top edge."),
    )
    label = blocks.CharBlock(required=False, max_length=60)

    class Meta:
        icon = "pick"
        label = _("Hotspot")


class ShopTheLookBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False, max_length=200)
    hotspots = blocks.ListBlock(HotspotBlock(), min_num=1, max_num=20)

    class Meta:
        icon = "image"
        label = _("Shop the look")
        template = "content/blocks/shop_the_look.html"

    def bulk_to_python(self, values):
        """Images come from the page's catalog snapshot (with renditions) when one is active."""
        values = list(values)
        snapshot = active_snapshot()
        image_ids = [value.get("image") for value in values]
        if snapshot is None or not snapshot.covers(snapshot.requested_image_ids, image_ids):
            return super().bulk_to_python(values)
        converted = super().bulk_to_python([{**value, "image": None} for value in values])
        for struct_value, image_id in zip(converted, image_ids):
            struct_value["image"] = snapshot.images.get(image_id) if image_id is not None else None
        return converted

    def get_api_representation(self, value, context=None):
        return {
            "image": image_representation(value.get("image")),
            "caption": value.get("caption") or "",
            "hotspots": self.child_blocks["hotspots"].get_api_representation(value.get("hotspots"), context=context),
        }


class DealChooserBlock(SnippetChooserBlock):
    """Chooses a shop deal (``shop.Promotion``); loads its variant, product and units used with the page."""

    def __init__(self, **kwargs):
        super().__init__("shop.Promotion", **kwargs)

    def bulk_to_python(self, values):
        values = list(values)
        snapshot = active_snapshot()
        if snapshot is not None and snapshot.covers(snapshot.requested_promotion_ids, values):
            return [snapshot.promotions.get(value) if value is not None else None for value in values]
        return load_promotions(values)

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
    note = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "pick"
        label = _("Deal")
        template = "content/blocks/deal.html"

    def get_api_representation(self, value, context=None):
        return {**deal_representation(value.get("deal"), context), "note": value.get("note") or ""}


SHOPPABLE_BLOCK_TYPES = ("product_card", "product_grid", "comparison_table", "shop_the_look", "deal")


class CatalogStreamValue(StreamValue):
    """A lazy StreamValue that loads every product, variant and image of the whole stream at once.

    Wagtail converts a stream one block type at a time (``bulk_to_python`` per type); with five
    shoppable types that would be five rounds of catalog queries. The first conversion instead
    scans the raw data of every type and loads one snapshot that all blocks read from.
    """

    _catalog_snapshot = None

    def _prefetch_blocks(self, type_name):
        if self._catalog_snapshot is None:
            raw_items = [item for item in self._raw_data if item is not None]
            self._catalog_snapshot = snapshot_for_stream(self.stream_block, raw_items)
        child_block = self.stream_block.child_blocks[type_name]
        with using_snapshot(self._catalog_snapshot):
            if isinstance(child_block, ImageChooserBlock):
                self._bind_snapshot_images(type_name)
            else:
                super()._prefetch_blocks(type_name)

    def _bind_snapshot_images(self, type_name):
        child_block = self.stream_block.child_blocks[type_name]
        images = self._catalog_snapshot.images
        for i, raw_item in enumerate(self._raw_data):
            if self._bound_blocks[i] is None and raw_item["type"] == type_name:
                image = images.get(raw_item["value"]) if raw_item["value"] is not None else None
                self._bound_blocks[i] = StreamValue.StreamChild(child_block, image, id=raw_item.get("id"))


class ArticleStreamBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", icon="title", template="content/blocks/heading.html")
    paragraph = blocks.RichTextBlock(icon="pilcrow")
    image = ImageChooserBlock(template="content/blocks/image.html")
    product_card = ProductCardBlock()
    product_grid = ProductGridBlock()
    comparison_table = ComparisonTableBlock()
    shop_the_look = ShopTheLookBlock()
    deal = DealBlock()
    video = VideoChooserBlock(template="content/blocks/video.html", help_text=_("A video you uploaded."))

    def to_python(self, value):
        stream = super().to_python(value)
        if stream.is_lazy and not isinstance(stream, CatalogStreamValue):
            return CatalogStreamValue(self, stream._raw_data, is_lazy=True)
        return stream

    def get_api_representation(self, value, context=None):
        """Like StreamBlock's, but each block knows its own id (for the buy links' attribution)."""
        if value is None:
            return []
        context = context or {}
        return [
            {
                "type": child.block.name,
                "value": child.block.get_api_representation(child.value, context={**context, BLOCK_ID_CONTEXT_KEY: child.id}),
                "id": child.id,
            }
            for child in value
        ]
