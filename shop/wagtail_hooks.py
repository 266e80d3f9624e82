from django.contrib.admin import SimpleListFilter
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail_modeladmin.options import modeladmin_register

from shop.admin_helpers import (
    PermissionMenuItem,
    PolicyModelAdmin,
    ReadOnlyPermissionHelper,
    ScopedSnippetDeleteBulkAction,
)
from shop.models import (
    Brand, GroupCampaign, Order, Payment, Product, Promotion, Stock, SupplyOffer, Variant,
    Voucher,
)
from shop.permissions import (
    BackOfficePermissionPolicy,
    BrandScopedPermissionPolicy,
    CatalogPermissionPolicy,
    GroupCampaignPermissionPolicy,
)
from shop.services.inventory import ensure_stock_records
from shop.voucher_forms import VoucherForm
from shop.supply_admin import FULFILMENT_PERMISSION, SUPPLY_ATTEMPTS_PERMISSION, SupplyOfferViewSet
from shop.supply_admin import supply_attempts as supply_attempts_view
from shop.supply_admin import fulfilment_groups as supply_fulfilment_groups
from shop.viewsets import BrandViewSet, GroupCampaignViewSet, ProductViewSet, PromotionViewSet, VariantViewSet

# One policy per scoped model; every admin view, bulk action, chooser and history asks it.
register_permission_policy(Brand, BrandScopedPermissionPolicy(Brand, brand_path="pk"))
register_permission_policy(
    Product, CatalogPermissionPolicy(Product, brand_path="brand_id", status_path="status")
)
register_permission_policy(
    Variant, CatalogPermissionPolicy(Variant, brand_path="product__brand_id", status_path="product__status")
)
register_permission_policy(
    Promotion,
    CatalogPermissionPolicy(Promotion, brand_path="variant__product__brand_id", status_path="variant__product__status"),
)
register_permission_policy(
    GroupCampaign,
    GroupCampaignPermissionPolicy(GroupCampaign, brand_path="promotion__variant__product__brand_id",
                                  status_path="promotion__variant__product__status"),
)
# Distribution: brand users make their brands' supply offers; any admin user (a creator) may choose one.
register_permission_policy(
    SupplyOffer,
    CatalogPermissionPolicy(SupplyOffer, brand_path="variant__product__brand_id",
                            status_path="variant__product__status"),
)
register_permission_policy(Stock, BrandScopedPermissionPolicy(Stock, brand_path="variant__product__brand_id"))
for back_office_model in (Order, Payment):
    register_permission_policy(back_office_model, BackOfficePermissionPolicy(back_office_model))
# Vouchers: staff see all; a brand user makes and sees only their brands' vouchers (brand-funded).
register_permission_policy(Voucher, BrandScopedPermissionPolicy(Voucher, brand_path="brand_id"))

# Registered after Wagtail's own (order) so it replaces the snippet "delete" bulk action.
hooks.register("register_bulk_action", ScopedSnippetDeleteBulkAction, order=100)

register_snippet(BrandViewSet)
register_snippet(ProductViewSet)
register_snippet(VariantViewSet)
register_snippet(PromotionViewSet)
register_snippet(GroupCampaignViewSet)
register_snippet(SupplyOfferViewSet)


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


class StockAdmin(PolicyModelAdmin):
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
        return super().get_queryset(request).select_related("variant__product__brand")

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


# --- Orders, payments and vouchers (checkout) ---------------------------------------------
from django.urls import path, reverse  # noqa: E402
from wagtail_modeladmin.helpers import ButtonHelper  # noqa: E402

from shop import admin_views  # noqa: E402
from shop.services.refunds import refunds_needing_staff  # noqa: E402


# Orders and payments change only through services (checkout, webhooks, refunds).
class OrderButtonHelper(ButtonHelper):
    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        if self.request.user.has_perm(admin_views.ORDER_PERMISSION):
            buttons.append({"url": reverse("shop_order_refund", args=[obj.pk]), "label": _("Refund"),
                            "classname": "button button-small button-secondary",
                            "title": _("Refund order %(number)s") % {"number": obj.number}})
        return buttons


class RefundNeededFilter(SimpleListFilter):
    """Orders whose automatic refund failed: a buyer is owed money until staff refund it."""

    title = _("refund")
    parameter_name = "refund"

    def lookups(self, request, model_admin):
        return [("failed", _("Automatic refund failed"))]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(pk__in=refunds_needing_staff().values("order_id"))
        return queryset


class OrderAdmin(PolicyModelAdmin):
    model = Order
    menu_label = _("Orders")
    menu_icon = "list-ul"
    menu_order = 220
    permission_helper_class = ReadOnlyPermissionHelper
    button_helper_class = OrderButtonHelper
    inspect_view_enabled = True
    list_display = ["number", "status", "fulfilment_method", "total", "currency", "created_at", "paid_at"]
    list_filter = ["status", "fulfilment_method", RefundNeededFilter, "created_at"]
    search_fields = ["number"]
    ordering = ["-created_at"]
    inspect_view_fields = [
        "number", "status", "fulfilment_method", "currency", "subtotal", "discount_total", "shipping_total", "total",
        "amount_refunded", "voucher_code", "email", "shipping_name", "shipping_line1", "shipping_line2",
        "shipping_city", "shipping_postal_code", "shipping_country", "pickup_redeemed_at", "created_at", "paid_at",
    ]


class PaymentAdmin(PolicyModelAdmin):
    model = Payment
    menu_label = _("Payments")
    menu_icon = "doc-full"
    menu_order = 230
    permission_helper_class = ReadOnlyPermissionHelper
    list_display = ["intent_id", "gateway", "order", "amount", "currency", "status", "amount_refunded", "disputed"]
    list_filter = ["gateway", "status", "disputed"]
    search_fields = ["intent_id", "order__number"]
    list_select_related = ["order"]


class VoucherAdmin(PolicyModelAdmin):
    model = Voucher
    menu_label = _("Vouchers")
    menu_icon = "tag"
    menu_order = 240
    list_display = ["code", "kind", "value", "currency", "valid_from", "valid_until", "usage_limit", "brand",
                    "creator_id", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code"]
    list_select_related = ["brand"]
    edit_handler = ObjectList([FieldPanel(name) for name in VoucherForm.Meta.fields], base_form_class=VoucherForm)


modeladmin_register(OrderAdmin)
modeladmin_register(PaymentAdmin)
modeladmin_register(VoucherAdmin)


@hooks.register("register_admin_urls")
def register_order_admin_urls():
    return [
        path("shop/orders/<int:order_id>/refund/", admin_views.refund, name="shop_order_refund"),
        path("shop/pickup/", admin_views.redeem_pickup, name="shop_redeem_pickup"),
        path("shop/fulfilment-groups/", supply_fulfilment_groups, name="shop_fulfilment_groups"),
        path("shop/supply-attempts/", supply_attempts_view, name="shop_supply_attempts"),
    ]


@hooks.register("register_admin_menu_item")
def register_pickup_menu_item():
    return PermissionMenuItem(_("Redeem pickup"), reverse("shop_redeem_pickup"), icon_name="tick", order=225,
                              permission=admin_views.ORDER_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_fulfilment_menu_item():
    return PermissionMenuItem(_("Fulfilment groups"), reverse("shop_fulfilment_groups"), icon_name="doc-full",
                              order=226, permission=FULFILMENT_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_supply_attempts_menu_item():
    return PermissionMenuItem(_("Brand transfers to retry"), reverse("shop_supply_attempts"), icon_name="warning",
                              order=227, permission=SUPPLY_ATTEMPTS_PERMISSION)
