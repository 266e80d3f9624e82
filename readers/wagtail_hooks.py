"""Staff see readers' share links, rewards and refused rewards: read-only lists with an inspect view.

Back-office data (a reader's orders lead to their e-mail): staff with the model's view permission see
every row (the Editors role has it, ``creators.services.roles``); creators and brands see none. A staff
member blocks a share by deactivating it in the tracked links admin (``active``): the link stops
leading anywhere and no further reward is paid for it (``RefusalReason.LINK_BLOCKED``).
"""

from django.utils.translation import gettext_lazy as _
from wagtail.permissions import register_permission_policy
from wagtail_modeladmin.options import ModelAdminGroup, modeladmin_register

from readers.models import RewardEntry, RewardRefusal, ShareLink
from shop.admin_helpers import PolicyModelAdmin, ReadOnlyPermissionHelper
from shop.permissions import BackOfficePermissionPolicy

for back_office_model in (ShareLink, RewardEntry, RewardRefusal):
    register_permission_policy(back_office_model, BackOfficePermissionPolicy(back_office_model))


class ShareLinkAdmin(PolicyModelAdmin):
    model = ShareLink
    menu_label = _("Share links")
    menu_icon = "link"
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    list_display = ["code", "sharer_id", "creator", "target_kind", "page", "product", "active", "created_at"]
    list_filter = ["active", "target_kind"]
    search_fields = ["code"]


class RewardEntryAdmin(PolicyModelAdmin):
    model = RewardEntry
    menu_label = _("Rewards")
    menu_icon = "list-ul"
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    list_display = ["effective_at", "reader", "kind", "amount", "currency", "order_id", "link_id", "source_ref"]
    list_filter = ["kind", "currency"]
    search_fields = ["source_ref"]


class RewardRefusalAdmin(PolicyModelAdmin):
    model = RewardRefusal
    menu_label = _("Refused rewards")
    menu_icon = "warning"
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    list_display = ["decided_at", "reader", "reason", "order_id", "link_id"]
    list_filter = ["reason"]


class ReaderSharesGroup(ModelAdminGroup):
    menu_label = _("Reader shares")
    menu_icon = "group"
    menu_order = 224
    items = (ShareLinkAdmin, RewardEntryAdmin, RewardRefusalAdmin)


modeladmin_register(ReaderSharesGroup)
