"""Product blocks: the product and variant choosers and the blocks showing products (cards, grids, comparisons,
shop the look). Each resolves to catalog rows fetched in bulk, never one by one."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from content.api.representation import decimal_string, image_representation, loaded, offer_representation
from content.blocks.common import OWN_LABEL, bulk_in_order, from_active_snapshot, own_label_block, package_paths
from content.services.catalog import active_snapshot
from shop.models import Product, ProductImage, ProductStatus, Variant
from shop.services.offers import with_availability


class ProductChooserBlock(SnippetChooserBlock):
    """Chooses an active product; loads brand, variants, stock and images for all blocks at once."""

    catalog_reference = "product_ids"  # what content.services.catalog.collect_references notes

    def __init__(self, **kwargs):
        super().__init__("shop.Product", **kwargs)

    def bulk_to_python(self, values):
        values = list(values)
        found = from_active_snapshot("product", values)
        if found is not None:
            return found
        queryset = Product.objects.select_related("brand").prefetch_related(
            Prefetch("variants", queryset=with_availability(Variant.objects.order_by("sort_order", "pk"))),
            Prefetch("images", queryset=ProductImage.objects.select_related("image").order_by("sort_order")),
        )
        return bulk_in_order(queryset, values)

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
    catalog_reference = "variant_ids"

    def __init__(self, **kwargs):
        super().__init__("shop.Variant", **kwargs)

    @cached_property
    def widget(self):
        """The chooser lists only the variants of the product chosen beside it: Wagtail's linked
        fields send that product's id as ``?product=<id>`` (``shop.viewsets.VariantChooseViewMixin``)."""
        widget = super().widget
        widget.linked_fields = {"product": {"match": r"^.*-value-", "append": "product"}}
        return widget

    def bulk_to_python(self, values):
        values = list(values)
        found = from_active_snapshot("variant", values)
        return found if found is not None else bulk_in_order(with_availability(Variant.objects.all()), values)


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
        return self._representation(value.get("product"), value.get("variant"), value.get, context)

    def api_representation_of_raw(self, raw_value, context=None) -> tuple[dict, Product | None] | None:
        """What ``get_api_representation`` gives for this block's stored (JSON) value once ``bulk_to_python`` has
        converted it, and the product it shows, without building the block's value: the chosen product and
        variant come from the active catalog snapshot through the choosers' own ``bulk_to_python``, every other
        field through its block's ``to_python`` (a missing one: its default), as ``StructBlock`` converts them.
        None when no snapshot covers the chosen ids (the caller converts the block instead)."""
        snapshot = active_snapshot()
        if snapshot is None or not isinstance(raw_value, dict):
            return None
        chosen = {}
        for name, requested in (("product", snapshot.requested_product_ids),
                                ("variant", snapshot.requested_variant_ids)):
            chooser = self.child_blocks[name]
            if name not in raw_value:
                chosen[name] = chooser.get_default()
            elif snapshot.covers(requested, [raw_value[name]]):
                chosen[name] = chooser.bulk_to_python([raw_value[name]])[0]
            else:
                return None

        def field(name):
            child_block = self.child_blocks[name]
            return child_block.to_python(raw_value[name]) if name in raw_value else child_block.get_default()

        product = chosen["product"]
        return self._representation(product, chosen["variant"], field, context), product

    def _representation(self, product, variant, field, context) -> dict:
        representation = offer_representation(product, variant, context)
        for name, child_block in self.child_blocks.items():
            if name in ("product", "variant", OWN_LABEL):
                continue
            if isinstance(child_block, blocks.DecimalBlock):
                representation[name] = decimal_string(field(name))
            else:
                representation[name] = child_block.get_api_representation(field(name), context=context)
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
    own_label = own_label_block()

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
    own_label = own_label_block()

    class Meta:
        icon = "grip"
        label = _("Product grid or carousel")
        template = "content/blocks/product_grid.html"

    def get_api_representation(self, value, context=None):
        representation = super().get_api_representation(value, context=context)
        representation.pop(OWN_LABEL, None)  # served as the block's ``label``
        return representation


class ComparisonTableBlock(blocks.StructBlock):
    title = blocks.CharBlock(required=False, max_length=120)
    products = blocks.ListBlock(ProductChooserBlock(), min_num=2, max_num=8)
    attributes = blocks.ListBlock(
        blocks.CharBlock(max_length=80),
        min_num=1,
        help_text=_("Attribute names to compare, as written on the products (e.g. 'Battery life')."),
    )
    show_price = blocks.BooleanBlock(required=False, default=True)
    own_label = own_label_block()

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
    own_label = own_label_block()

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


DECONSTRUCT_ALIASES = package_paths(
    ProductChooserBlock, VariantChooserBlock, ProductVariantStructBlock, ProductCardBlock, ProductGridItemBlock,
    ProductGridBlock, ComparisonTableBlock, HotspotBlock, ShopTheLookBlock,
)
