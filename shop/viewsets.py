"""Wagtail admin viewsets for the catalog: snippets with brand scoping and a commerce-aware chooser."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChooserViewSet
from wagtail.snippets.views.snippets import InspectView, SnippetViewSet

from shop.models import Brand, Product, ProductStatus, Promotion, Variant
from shop.money import quantize
from shop.services.brand_access import limit_to_user_brands, visible_brands, visible_products, visible_variants


def format_money(amount, currency: str | None) -> str:
    return "—" if amount is None else f"{quantize(amount)} {currency or ''}".strip()


def format_price_range(product: Product) -> str:
    low, high, currency = product.min_price, product.max_price, product.price_currency
    if low is None or low == high:
        return format_money(low, currency)
    return f"{quantize(low)}–{format_money(high, currency)}"


class BrandScopedInspectView(InspectView):
    """Wagtail's inspect view checks model permissions only; brand users also need the row's brand."""

    def get_object(self, queryset=None):
        instance = super().get_object(queryset)
        if not self.permission_policy.user_has_any_permission_for_instance(
            self.request.user, ["view", "change"], instance
        ):
            raise PermissionDenied
        return instance


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
        return with_commerce_summary(Product.objects.filter(status=ProductStatus.ACTIVE)).order_by("title")

    @property
    def columns(self):
        return super().columns + [
            Column("brand", label=_("Brand"), accessor="brand"),
            Column("price", label=_("Price"), accessor=format_price_range),
            Column("stock", label=_("Stock"), accessor=lambda product: product.stock_on_hand or 0),
        ]


class ProductChooseView(ProductChooseViewMixin, ChooseView):
    pass


class ProductChooseResultsView(ProductChooseViewMixin, ChooseResultsView):
    pass


class ProductChooserViewSet(SnippetChooserViewSet):
    choose_view_class = ProductChooseView
    choose_results_view_class = ProductChooseResultsView


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
        return (
            Variant.objects.filter(product__status=ProductStatus.ACTIVE)
            .select_related("product", "stock")
            .order_by("product__title", "sort_order")
        )

    @property
    def columns(self):
        return super().columns + [
            Column("price", label=_("Price"), accessor=lambda v: format_money(v.price, v.currency)),
            Column("stock", label=_("Stock"), accessor=lambda v: v.stock.on_hand if hasattr(v, "stock") else 0),
        ]


class VariantChooseView(VariantChooseViewMixin, ChooseView):
    pass


class VariantChooseResultsView(VariantChooseViewMixin, ChooseResultsView):
    pass


class VariantChooserViewSet(SnippetChooserViewSet):
    choose_view_class = VariantChooseView
    choose_results_view_class = VariantChooseResultsView


class BrandViewSet(SnippetViewSet):
    model = Brand
    icon = "site"
    menu_label = _("Brands")
    add_to_admin_menu = True
    menu_order = 190
    list_display = ["name", "website"]
    search_fields = ["name"]
    search_backend_name = None

    def get_queryset(self, request):
        return visible_brands(request.user)


class ProductViewSet(SnippetViewSet):
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
    inspect_view_class = BrandScopedInspectView
    chooser_viewset_class = ProductChooserViewSet

    def get_queryset(self, request):
        return with_commerce_summary(visible_products(request.user))


class VariantViewSet(SnippetViewSet):
    """Registered for its chooser (blocks pick a variant); variants are edited inside products."""

    model = Variant
    icon = "list-ul"
    add_to_admin_menu = False
    list_display = ["sku", "product", "price", "currency"]
    search_fields = ["sku", "product__title"]
    search_backend_name = None
    chooser_viewset_class = VariantChooserViewSet

    def get_queryset(self, request):
        return visible_variants(request.user).select_related("product")


class PromotionChooseViewMixin:
    """Deals still running or to come, on active products, of the brands the user may see."""

    per_page = 20

    def get_object_list(self):
        deals = Promotion.objects.filter(ends_at__gt=timezone.now(), variant__product__status=ProductStatus.ACTIVE)
        return limit_to_user_brands(deals.select_related("variant__product"), self.request.user,
                                    brand_path="variant__product__brand_id").order_by("ends_at", "pk")

    @property
    def columns(self):
        return super().columns + [
            Column("price", label=_("Deal price"), accessor=lambda p: format_money(p.price, p.currency)),
            Column("ends_at", label=_("Ends"), accessor="ends_at"),
        ]


class PromotionChooseView(PromotionChooseViewMixin, ChooseView):
    pass


class PromotionChooseResultsView(PromotionChooseViewMixin, ChooseResultsView):
    pass


class PromotionChooserViewSet(SnippetChooserViewSet):
    choose_view_class = PromotionChooseView
    choose_results_view_class = PromotionChooseResultsView


class PromotionViewSet(SnippetViewSet):
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
        return limit_to_user_brands(
            Promotion.objects.select_related("variant__product"), request.user, brand_path="variant__product__brand_id"
        )
