"""Staff see readers' share links, rewards and refused rewards: read-only lists with an inspect view.

Back-office data (a reader's orders lead to their e-mail): staff with the model's view permission see
every row (the Editors role has it, ``creators.services.roles``); creators and brands see none. Staff
holding ``readers.block_sharelink`` block links, one ("Block" on a row) or many at once, with a reason
(``readers.admin_views.block_share_links``): the link stops leading anywhere and earns no further reward
(``RefusalReason.LINK_BLOCKED``).
"""

from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail_modeladmin.options import ModelAdminGroup, modeladmin_register

from readers import admin_views
from readers.models import RewardEntry, RewardRate, RewardRefusal, ShareBlock, ShareLink
from shop.admin_helpers import PermissionMenuItem, PolicyModelAdmin, ReadOnlyModelAdmin
from shop.permissions import BackOfficePermissionPolicy

for back_office_model in (ShareLink, RewardEntry, RewardRefusal, ShareBlock, RewardRate):
    register_permission_policy(back_office_model, BackOfficePermissionPolicy(back_office_model))


class ShareLinkAdmin(ReadOnlyModelAdmin):
    model = ShareLink
    menu_label = _("Share links")
    menu_icon = "link"
    list_display = ["code", "sharer_id", "creator", "target_kind", "page", "product", "team_code", "active",
                    "created_at", "block_action"]
    list_filter = ["active", "target_kind"]
    search_fields = ["code"]

    def block_action(self, link):
        if not link.active:
            return _("blocked")
        return format_html('<a class="button button-small" href="{}?id={}">{}</a>',
                           reverse("readers_block_share_links"), link.pk, _("Block"))

    block_action.short_description = _("Block")


class RewardEntryAdmin(ReadOnlyModelAdmin):
    model = RewardEntry
    menu_label = _("Rewards")
    menu_icon = "list-ul"
    list_display = ["effective_at", "reader", "kind", "amount", "currency", "order_id", "link_id", "source_ref"]
    list_filter = ["kind", "currency"]
    search_fields = ["source_ref"]


class RewardRefusalAdmin(ReadOnlyModelAdmin):
    model = RewardRefusal
    menu_label = _("Refused rewards")
    menu_icon = "warning"
    list_display = ["decided_at", "reader", "reason", "order_id", "link_id"]
    list_filter = ["reason"]


class ShareBlockAdmin(ReadOnlyModelAdmin):
    model = ShareBlock
    menu_label = _("Blocked shares")
    menu_icon = "cross"
    list_display = ["blocked_at", "link", "reason", "blocked_by"]


class RewardRateAdmin(PolicyModelAdmin):
    """Staff set the default reward rate (no brand) and per-brand overrides; a change applies to orders
    paid after it (each rewarded line keeps its rate)."""

    model = RewardRate
    menu_label = _("Reward rates")
    menu_icon = "cogs"
    list_display = ["brand", "rate", "updated_at"]


class ReaderSharesGroup(ModelAdminGroup):
    menu_label = _("Reader shares")
    menu_icon = "group"
    menu_order = 224
    items = (ShareLinkAdmin, RewardEntryAdmin, RewardRefusalAdmin, ShareBlockAdmin, RewardRateAdmin)


modeladmin_register(ReaderSharesGroup)


@hooks.register("register_admin_urls")
def register_reader_admin_urls():
    return [path("readers/share-links/block/", admin_views.block_share_links, name="readers_block_share_links")]


@hooks.register("register_admin_menu_item")
def register_block_menu_item():
    return PermissionMenuItem(_("Block share links"), reverse("readers_block_share_links"), icon_name="warning",
                              order=227, permission=admin_views.BLOCK_PERMISSION)
