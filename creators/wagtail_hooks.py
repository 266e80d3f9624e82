from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail_modeladmin.options import ModelAdminGroup, modeladmin_register

from creators import admin_views
from creators.link_admin import TrackedLinkViewSet
from creators.listing_admin import StorefrontListingPolicy, StorefrontListingViewSet
from shop.models import StorefrontListing
from creators.payout_account_views import payout_account
from creators.models import CommissionRule, CreatorProfile, LedgerEntry, Payout, TrackedLink
from creators.permissions import CreatorOwnedPermissionPolicy
from shop.admin_helpers import ReadOnlyModelAdmin, ScopedSnippetChooserViewSet, ScopedSnippetViewSet

# Staff see every creator's rows; a creator may only choose their own (see CreatorOwnedPermissionPolicy).
for creator_owned_model in (CommissionRule, LedgerEntry, Payout):
    register_permission_policy(creator_owned_model, CreatorOwnedPermissionPolicy(creator_owned_model))
# A creator lists, makes and edits their own tracked links (creators/link_admin.py).
register_permission_policy(TrackedLink, CreatorOwnedPermissionPolicy(TrackedLink, owner_actions=("add", "view", "change")))


class CreatorProfileViewSet(SnippetViewSet):
    model = CreatorProfile
    icon = "user"
    menu_label = _("Creators")
    list_display = ["display_name", "handle", "default_commission_rate"]
    search_fields = ["display_name", "handle"]
    search_backend_name = None
    add_to_admin_menu = True
    menu_order = 220


class CommissionRuleViewSet(ScopedSnippetViewSet):
    """Rules are validated by the model's clean(): overlapping dates for one scope are refused."""

    model = CommissionRule
    icon = "cogs"
    menu_label = _("Commission rules")
    list_display = ["scope", "creator", "brand", "product", "rate", "valid_from", "valid_until"]
    list_filter = ["scope"]
    chooser_viewset_class = ScopedSnippetChooserViewSet
    add_to_admin_menu = True
    menu_order = 221


register_snippet(CreatorProfileViewSet)
register_snippet(CommissionRuleViewSet)
register_snippet(TrackedLinkViewSet)
# Distribution: a creator's own storefront listings (creators/listing_admin.py).
register_permission_policy(StorefrontListing, StorefrontListingPolicy(
    StorefrontListing, creator_user_path="creator_id", owner_actions=("add", "view", "change")))
register_snippet(StorefrontListingViewSet)


# The ledger is append-only and payouts are made by runs: the admin only lists and inspects.
class LedgerEntryAdmin(ReadOnlyModelAdmin):
    model = LedgerEntry
    menu_label = _("Ledger")
    menu_icon = "list-ul"
    list_display = ["effective_at", "creator", "kind", "amount", "currency", "page_id", "block_id", "source_ref"]
    list_filter = ["kind", "currency"]
    search_fields = ["source_ref"]


class PayoutAdmin(ReadOnlyModelAdmin):
    model = Payout
    menu_label = _("Payouts")
    menu_icon = "cogs"
    list_display = ["created_at", "creator", "amount", "currency", "status", "transfer_id", "failure_message"]
    list_filter = ["status", "currency"]


class RevenueShareGroup(ModelAdminGroup):
    menu_label = _("Revenue share")
    menu_icon = "doc-full"
    menu_order = 223
    items = (LedgerEntryAdmin, PayoutAdmin)


modeladmin_register(RevenueShareGroup)


@hooks.register("register_admin_urls")
def register_earnings_urls():
    return [
        path("earnings/", admin_views.earnings, name="creators_earnings"),
        path("earnings/statement/", admin_views.statement_view, name="creators_statement"),
        path("earnings/statement/csv/", admin_views.statement_csv_view, name="creators_statement_csv"),
        path("earnings/payout-account/", payout_account, name="creators_payout_account"),
    ]


class EarningsMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.is_revenue_viewer(request.user)


@hooks.register("register_admin_menu_item")
def register_earnings_menu_item():
    return EarningsMenuItem(_("My earnings"), reverse("creators_earnings"), icon_name="doc-full", order=224)

import creators.reports.admin  # noqa: E402,F401  (brand performance report: URLs, menu item, view counting)


# Brand users and their memberships (staff only), with a staff-only user chooser.
from creators.brand_members import BrandMemberViewSet, user_chooser_viewset  # noqa: E402

register_snippet(BrandMemberViewSet)


@hooks.register("register_admin_viewset")
def register_brand_member_user_chooser():
    return user_chooser_viewset


# Distribution reports (creators/reports/supply_views.py): a creator's listings, a brand's storefront sales.
from creators.permissions import is_creator  # noqa: E402
from creators.reports import supply_views  # noqa: E402
from shop.services.brand_access import is_brand_user  # noqa: E402


@hooks.register("register_admin_urls")
def register_supply_report_urls():
    return [
        path("reports/storefront-listings/", supply_views.listing_report, name="creators_listing_report"),
        path("reports/storefront-sales/", supply_views.storefront_sales_report, name="creators_storefront_sales"),
    ]


class ListingReportMenuItem(MenuItem):
    def is_shown(self, request):
        return is_creator(request.user)


class StorefrontSalesMenuItem(MenuItem):
    def is_shown(self, request):
        return is_brand_user(request.user) or request.user.is_superuser


@hooks.register("register_admin_menu_item")
def register_supply_report_menu_items():
    return ListingReportMenuItem(_("My storefront sales"), reverse("creators_listing_report"), icon_name="list-ul",
                                 order=225)


@hooks.register("register_admin_menu_item")
def register_storefront_sales_menu_item():
    return StorefrontSalesMenuItem(_("Supply sales by storefront"), reverse("creators_storefront_sales"),
                                   icon_name="list-ul", order=227)
