from django.contrib.admin import SimpleListFilter
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register

from shop.models import Product, Stock, Variant
from shop.permissions import BrandScopedPermissionPolicy
from shop.services.brand_access import visible_stock
from shop.services.inventory import ensure_stock_records
from shop.viewsets import BrandViewSet, ProductViewSet, VariantViewSet

register_permission_policy(Product, BrandScopedPermissionPolicy(Product, brand_path="brand_id"))
register_permission_policy(Variant, BrandScopedPermissionPolicy(Variant, brand_path="product__brand_id"))

register_snippet(BrandViewSet)
register_snippet(ProductViewSet)
register_snippet(VariantViewSet)


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def give_new_variants_a_stock_record(request, instance):
    if isinstance(instance, Product):
        ensure_stock_records(instance)


class StockLevelFilter(SimpleListFilter):
    title = _("stock level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("out", _("Out of stock")), ("low", _("Low stock")), ("in", _("In stock"))]

    def queryset(self, request, queryset):
        from django.conf import settings

        default_threshold = settings.KOLSHOP_LOW_STOCK_THRESHOLD
        low = Q(low_stock_threshold__isnull=True, on_hand__lte=default_threshold) | Q(
            low_stock_threshold__isnull=False, on_hand__lte=F("low_stock_threshold")
        )
        if self.value() == "out":
            return queryset.filter(on_hand=0)
        if self.value() == "low":
            return queryset.filter(low, on_hand__gt=0)
        if self.value() == "in":
            return queryset.filter(on_hand__gt=0).exclude(low)
        return queryset


class StockAdmin(ModelAdmin):
    model = Stock
    menu_label = _("Stock")
    menu_icon = "list-ol"
    menu_order = 210
    add_to_settings_menu = False
    list_display = ["sku", "product_title", "brand_name", "on_hand", "level"]
    list_filter = [StockLevelFilter, "variant__product__brand", "variant__product__status"]
    search_fields = ["variant__sku", "variant__product__title"]
    list_select_related = ["variant__product__brand"]
    ordering = ["variant__product__title", "variant__sku"]
    form_fields_exclude = ["variant"]

    def get_queryset(self, request):
        return visible_stock(request.user).select_related("variant__product__brand")

    @staticmethod
    def sku(stock: Stock) -> str:
        return stock.variant.sku

    @staticmethod
    def product_title(stock: Stock) -> str:
        return stock.variant.product.title

    @staticmethod
    def brand_name(stock: Stock) -> str:
        return stock.variant.product.brand.name

    @staticmethod
    def level(stock: Stock) -> str:
        return stock.status.level.label


modeladmin_register(StockAdmin)
