"""Wagtail admin viewsets for the catalog: snippets with brand scoping and a commerce-aware chooser."""

from django import forms
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column

from shop.admin_forms import GroupCampaignForm
from shop.admin_helpers import (
    ScopedSnippetChooserViewSet,
    ScopedSnippetViewSet,
    scoped_choose_views,
)
from shop.models import Brand, GroupCampaign, Product, ProductStatus, Promotion, Variant
from shop.models.inventory import StockStatus
from shop.money import quantize
from shop.services.offers import variant_stock_status, with_availability


def format_money(amount, currency: str | None) -> str:
    return "—" if amount is None else f"{quantize(amount)} {currency or ''}".strip()


def format_price_range(product: Product) -> str:
    low, high, currency = product.min_price, product.max_price, product.price_currency
    if low is None or low == high:
        return format_money(low, currency)
    return f"{quantize(low)}–{format_money(high, currency)}"


def with_commerce_summary(queryset):
    """Annotate price range and total stock in the same query as the products themselves."""
    return queryset.select_related("brand").annotate(
        min_price=Min("variants__price"),
        max_price=Max("variants__price"),
        price_currency=Max("variants__currency"),
        stock_on_hand=Sum("variants__stock__on_hand"),
    )


class ProductSearchForm(BaseFilterForm):
    """Searches title, brand name and SKU (substring), so '1042' finds SKU HP-1042."""

    q = forms.CharField(
        label=_("Search title, SKU or brand"),
        widget=forms.TextInput(attrs={"placeholder": _("Title, SKU or brand")}),
        required=False,
    )

    def filter(self, objects):
        objects = super().filter(objects)
        term = (self.cleaned_data.get("q") or "").strip()
        if term:
            objects = objects.filter(
                Q(title__icontains=term)
                | Q(brand__name__icontains=term)
                | Q(pk__in=Variant.objects.filter(sku__icontains=term).values("product_id"))
            )
            self.is_searching = True
            self.search_query = term
        return objects


class ProductChooseViewMixin:
    filter_form_class = ProductSearchForm
    per_page = 20

    def get_object_list(self):
        """The rows the policy lets the user choose (their brand's, or any brand's for creators
        and staff), active ones only: blocks refuse archived products."""
        products = super().get_object_list().filter(status=ProductStatus.ACTIVE)
        return with_commerce_summary(products).order_by("title")

    @property
    def columns(self):
        # An availability label, never the exact on-hand count (other brands' stock is not public).
        return super().columns + [
            Column("brand", label=_("Brand"), accessor="brand"),
            Column("price", label=_("Price"), accessor=format_price_range),
            Column("stock", label=_("Availability"), accessor=product_availability_label),
        ]


def product_availability_label(product: Product) -> str:
    return str(StockStatus.for_quantity(product.stock_on_hand or 0).level.label)


class ProductChooserViewSet(ScopedSnippetChooserViewSet):
    choose_view_class, choose_results_view_class = scoped_choose_views(ProductChooseViewMixin)


class VariantSearchForm(BaseFilterForm):
    q = forms.CharField(label=_("Search SKU or product"), required=False)

    def filter(self, objects):
        objects = super().filter(objects)
        term = (self.cleaned_data.get("q") or "").strip()
        if term:
            objects = objects.filter(Q(sku__icontains=term) | Q(product__title__icontains=term))
            self.is_searching = True
            self.search_query = term
        return objects


class VariantChooseViewMixin:
    filter_form_class = VariantSearchForm
    per_page = 20
    # ?product=<id> narrows the list to one product's variants
    url_filter_parameters = ["product"]

    def get_object_list(self):
        variants = super().get_object_list().filter(product__status=ProductStatus.ACTIVE)
        return with_availability(variants.select_related("product")).order_by("product__title", "sort_order")

    @property
    def columns(self):
        return super().columns + [
            Column("price", label=_("Price"), accessor=lambda v: format_money(v.price, v.currency)),
            Column("stock", label=_("Availability"), accessor=lambda v: str(variant_stock_status(v).level.label)),
        ]


class VariantChooserViewSet(ScopedSnippetChooserViewSet):
    choose_view_class, choose_results_view_class = scoped_choose_views(VariantChooseViewMixin)
    # The viewset passes these to its views (overriding the views' own): ?product=<id> narrows the list,
    # and searching or paging inside the modal keeps it (the block editor links it to the chosen product).
    url_filter_parameters = ["product"]
    preserve_url_parameters = ["multiple", "product"]


class BrandViewSet(ScopedSnippetViewSet):
    model = Brand
    icon = "site"
    menu_label = _("Brands")
    add_to_admin_menu = True
    menu_order = 190
    list_display = ["name", "website"]
    search_fields = ["name"]
    search_backend_name = None


class ProductViewSet(ScopedSnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = _("Products")
    add_to_admin_menu = True
    menu_order = 200
    list_display = [
        "title",
        "brand",
        "status",
        Column("price", label=_("Price"), accessor=format_price_range),
        Column("stock_on_hand", label=_("Stock"), accessor=lambda p: p.stock_on_hand or 0),
    ]
    list_filter = ["brand", "status"]
    search_fields = ["title", "slug", "brand__name"]
    search_backend_name = None
    inspect_view_enabled = True
    chooser_viewset_class = ProductChooserViewSet

    def get_queryset(self, request):
        return with_commerce_summary(super().get_queryset(request))


class VariantViewSet(ScopedSnippetViewSet):
    """Registered for its chooser (blocks pick a variant); variants are edited inside products."""

    model = Variant
    icon = "list-ul"
    add_to_admin_menu = False
    list_display = ["sku", "product", "price", "currency"]
    search_fields = ["sku", "product__title"]
    search_backend_name = None
    chooser_viewset_class = VariantChooserViewSet

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")



class PromotionChooseViewMixin:
    """Deals still running or to come, among those the policy lets the user choose (active products,
    the user's brands for brand users)."""

    per_page = 20

    def get_object_list(self):
        deals = super().get_object_list().filter(ends_at__gt=timezone.now())
        return deals.select_related("variant__product").order_by("ends_at", "pk")

    @property
    def columns(self):
        return super().columns + [
            Column("price", label=_("Deal price"), accessor=lambda p: format_money(p.price, p.currency)),
            Column("ends_at", label=_("Ends"), accessor="ends_at"),
        ]


class PromotionChooserViewSet(ScopedSnippetChooserViewSet):
    choose_view_class, choose_results_view_class = scoped_choose_views(PromotionChooseViewMixin)


class PromotionViewSet(ScopedSnippetViewSet):
    """Deals (``shop.Promotion``): editors create them here or from a deal block's chooser."""

    model = Promotion
    icon = "pick"
    menu_label = _("Deals")
    add_to_admin_menu = True
    menu_order = 205
    list_display = [
        "name",
        "variant",
        Column("price", label=_("Deal price"), accessor=lambda p: format_money(p.price, p.currency)),
        "starts_at",
        "ends_at",
        "unit_cap",
    ]
    list_filter = ["kind"]
    search_fields = ["name", "variant__sku", "variant__product__title"]
    search_backend_name = None
    chooser_viewset_class = PromotionChooserViewSet

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")


class GroupCampaignViewSet(ScopedSnippetViewSet):
    """Group buys: a group-price promotion (kind "Group price", made under Deals) plus its team rules."""

    model = GroupCampaign
    icon = "group"
    menu_label = _("Group buys")
    add_to_admin_menu = True
    menu_order = 206
    list_display = [
        "promotion",
        "team_size",
        "window",
        Column("group_price", label=_("Group price"),
               accessor=lambda c: format_money(c.promotion.price, c.promotion.currency)),
        "team_cap",
        "new_buyers_only",
    ]
    search_fields = ["promotion__name", "promotion__variant__sku"]
    search_backend_name = None
    chooser_viewset_class = ScopedSnippetChooserViewSet  # the block's chooser offers the policy's "choose" rows
    # The group price (its own promotion) and the team rules in one form: brand users and creators make
    # campaigns without being able to make deals (shop.admin_forms).
    edit_handler = ObjectList([
        FieldPanel("variant"),
        FieldRowPanel([FieldPanel("group_price"), FieldPanel("unit_cap"), FieldPanel("per_buyer_limit")]),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldRowPanel([FieldPanel("team_size"), FieldPanel("window")]),
        FieldRowPanel([FieldPanel("team_cap"), FieldPanel("new_buyers_only")]),
        FieldPanel("reopen_after_failed_capture"),
    ], base_form_class=GroupCampaignForm)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("promotion__variant__product")
