"""Shoppable StreamField blocks. Each resolves to catalog rows fetched in bulk, never one by one."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from shop.models import Product, ProductImage, ProductStatus, Variant


def _bulk_in_order(queryset, values):
    """Return instances for ``values`` (pks or None) in order, with one query for all of them."""
    objects = queryset.in_bulk([value for value in values if value is not None])
    return [objects.get(value) if value is not None else None for value in values]


class ProductChooserBlock(SnippetChooserBlock):
    """Chooses an active product; loads brand, variants, stock and images for all blocks at once."""

    def __init__(self, **kwargs):
        super().__init__("shop.Product", **kwargs)

    def bulk_to_python(self, values):
        queryset = Product.objects.select_related("brand").prefetch_related(
            Prefetch("variants", queryset=Variant.objects.select_related("stock").order_by("sort_order", "pk")),
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
        return _bulk_in_order(Variant.objects.select_related("stock"), values)


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


class DealBlock(ProductVariantStructBlock):
    product = ProductChooserBlock()
    variant = VariantChooserBlock(required=False)
    deal_price = blocks.DecimalBlock(min_value=Decimal("0.01"), decimal_places=2)
    ends_at = blocks.DateTimeBlock()
    note = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "pick"
        label = _("Deal")
        template = "content/blocks/deal.html"

    def clean(self, value):
        value = super().clean(value)
        product, variant, deal_price = value.get("product"), value.get("variant"), value.get("deal_price")
        if product is None or deal_price is None:
            return value
        variants = [variant] if variant is not None else list(product.variants.all())
        if not variants:
            return value
        lowest = min(variants, key=lambda v: v.price)
        if deal_price >= lowest.price:
            raise StructBlockValidationError(
                block_errors={
                    "deal_price": ValidationError(
                        _("The deal price %(deal)s must be below the price %(price)s %(currency)s.")
                        % {"deal": deal_price, "price": lowest.price, "currency": lowest.currency}
                    )
                }
            )
        return value


SHOPPABLE_BLOCK_TYPES = ("product_card", "product_grid", "comparison_table", "shop_the_look", "deal")


class ArticleStreamBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", icon="title", template="content/blocks/heading.html")
    paragraph = blocks.RichTextBlock(icon="pilcrow")
    image = ImageChooserBlock(template="content/blocks/image.html")
    product_card = ProductCardBlock()
    product_grid = ProductGridBlock()
    comparison_table = ComparisonTableBlock()
    shop_the_look = ShopTheLookBlock()
    deal = DealBlock()
