"""The catalog: brands, their products and each product's purchasable variants."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable
from wagtail.search import index

currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, e.g. USD."))


def default_currency() -> str:
    return settings.KOLSHOP_DEFAULT_CURRENCY


class Brand(index.Indexed, models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    # Distribution: the brand's Stripe Connect account, paid its wholesale payables (shop.services.supply_settlement).
    stripe_account_id = models.CharField(max_length=64, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("website"), FieldPanel("logo"),
              FieldPanel("description"), FieldPanel("stripe_account_id")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BrandMembership(models.Model):
    """A user who acts for a brand in the admin (sees that brand's products and reports)."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="brand_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "user"], name="unique_brand_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.brand}"


class ProductStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class Product(index.Indexed, ClusterableModel):
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="products")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = RichTextField(blank=True)
    status = models.CharField(max_length=16, choices=ProductStatus, default=ProductStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("title"), FieldPanel("slug"), FieldPanel("brand"), FieldPanel("status")],
            heading=_("Product"),
        ),
        FieldPanel("description"),
        InlinePanel("images", label=_("Images")),
        InlinePanel("variants", label=_("Variants"), min_num=1),
        InlinePanel("attributes", label=_("Attributes (for comparison tables)")),
    ]
    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
        index.FilterField("status"),
        index.FilterField("brand_id"),
    ]

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["brand", "status"], name="product_brand_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status == ProductStatus.ACTIVE


class ProductImage(Orderable):
    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    alt_text = models.CharField(max_length=250, blank=True)

    panels = [FieldPanel("image"), FieldPanel("alt_text")]

    def __str__(self) -> str:
        return f"{self.product} image {self.sort_order}"


class ProductAttribute(Orderable):
    """A named property shown in comparison tables, e.g. "Battery life" = "30 h"."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="attributes")
    name = models.CharField(max_length=80)
    value = models.CharField(max_length=200)

    panels = [FieldPanel("name"), FieldPanel("value")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="unique_product_attribute_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class Variant(index.Indexed, Orderable):
    """A purchasable version of a product, identified by its SKU."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(
        "SKU",
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", _("Letters, digits, '.', '_' and '-' only."))],
    )
    name = models.CharField(max_length=120, blank=True, help_text=_("e.g. 'Red / M'; blank for a single variant"))
    option_values = models.JSONField(
        default=dict, blank=True, help_text=_('Options such as {"size": "M", "colour": "red"}')
    )
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    compare_at_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text=_("The 'was' price; must be above the price when set."),
    )
    currency = models.CharField(max_length=3, default=default_currency, validators=[currency_validator])

    panels = [
        FieldPanel("sku"),
        FieldPanel("name"),
        FieldPanel("option_values"),
        FieldPanel("price"),
        FieldPanel("compare_at_price"),
        FieldPanel("currency"),
    ]
    search_fields = [index.SearchField("sku"), index.AutocompleteField("sku")]

    class Meta(Orderable.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gt=models.F("price")),
                name="variant_compare_at_above_price",
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="variant_currency_iso"),
        ]

    def __str__(self) -> str:
        label = f"{self.product.title} – {self.name}" if self.name else self.product.title
        return f"{label} ({self.sku})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.compare_at_price is not None and self.price is not None and self.compare_at_price <= self.price:
            raise ValidationError({"compare_at_price": _("The compare-at price must be above the price.")})
        if not isinstance(self.option_values, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in self.option_values.items()
        ):
            raise ValidationError({"option_values": _('Give options as text pairs, e.g. {"size": "M"}.')})
