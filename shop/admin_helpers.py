"""Admin plumbing that makes every view of a scoped model ask its permission policy.

Wagtail's generic object views (edit, delete, inspect, usage, history, revisions, ...) check
model permissions only, its choosers none at all, and modeladmin's history view nothing but
login. The pieces here route all of them through the model's registered policy
(``shop.permissions.ScopedPermissionPolicy``), so a new view inherits the scoping.
"""

from django.http import Http404
from django.utils.functional import cached_property
from django.contrib.admin.utils import unquote
from wagtail.admin.menu import MenuItem
from wagtail.permissions import policy_registry
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction as SnippetDeleteBulkAction
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
    SnippetChosenMultipleView,
    SnippetChosenView,
    SnippetCreateView,
)
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import HistoryView

from shop.permissions import CHOOSE

# Any of these on a row lets a user reach a view naming that row; the view then checks its own action.
ROW_ACTIONS = ["add", "change", "delete", "view", "publish", "lock", "unlock"]


def policy_for(model):
    return policy_registry.get_by_type(model)


# --- Snippet viewsets ------------------------------------------------------------------------


class PolicyScopedObjectMixin:
    """Refuses (404) a URL naming a row outside the user's scope, before the view loads it."""

    def setup(self, request, *args, **kwargs):
        pk = kwargs.get("pk")
        model = getattr(self, "model", None)
        if pk is not None and model is not None:
            rows = policy_for(model).instances_user_has_any_permission_for(request.user, ROW_ACTIONS)
            if not rows.filter(pk=unquote(str(pk))).exists():
                raise Http404
        super().setup(request, *args, **kwargs)


class ScopedSnippetViewSet(SnippetViewSet):
    """A snippet viewset whose every view (present and future: edit, delete, inspect, usage,
    history, revisions, workflow, ...) is limited to the rows the policy allows.

    What the subclasses still share (``model``, ``icon``, ``menu_*``, ``list_display``, a ``get_queryset`` adding
    ``select_related``) is Wagtail's declarative configuration with different values in each: a base class would
    only move it. ``creators.brand_members`` stays on Wagtail's plain viewsets: its staff-only gate is its own."""

    def construct_view(self, view_class, **kwargs):
        scoped_class = type(f"Scoped{view_class.__name__}", (PolicyScopedObjectMixin, view_class), {})
        return super().construct_view(scoped_class, **kwargs)

    def get_queryset(self, request):
        return policy_for(self.model).instances_user_has_any_permission_for(request.user, ROW_ACTIONS)


# --- Choosers --------------------------------------------------------------------------------


class PolicyScopedChooseMixin:
    """The chooser lists (and its search results) offer only the rows the user may choose."""

    def get_object_list(self):
        return policy_for(self.model_class).instances_user_has_permission_for(self.request.user, CHOOSE)


class PolicyScopedChosenMixin:
    def get_object(self, pk):
        return policy_for(self.model_class).instances_user_has_permission_for(self.request.user, CHOOSE).get(pk=pk)


class PolicyScopedChosenMultipleMixin:
    def get_objects(self, pks):
        rows = policy_for(self.model_class).instances_user_has_permission_for(self.request.user, CHOOSE)
        return rows.filter(pk__in=pks)


class ScopedChooseView(PolicyScopedChooseMixin, ChooseView):
    pass


class ScopedChooseResultsView(PolicyScopedChooseMixin, ChooseResultsView):
    pass


class ScopedChosenView(PolicyScopedChosenMixin, SnippetChosenView):
    pass


class ScopedChosenMultipleView(PolicyScopedChosenMultipleMixin, SnippetChosenMultipleView):
    pass


class ChooserCreateOnlyWithFormView(SnippetCreateView):
    """A chooser with no creation form offers no "Create" tab; a request to create anyway is refused
    (Wagtail's view would crash on it once the user may add rows)."""

    def can_create(self):
        return self.get_creation_form_class() is not None and super().can_create()


class ScopedSnippetChooserViewSet(SnippetChooserViewSet):
    """Choose, results, chosen and chosen-multiple all answer from the policy's ``choose`` rows."""

    create_view_class = ChooserCreateOnlyWithFormView
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView


def scoped_choose_views(listing: type) -> tuple[type, type]:
    """A chooser's list view and its search-results view, both narrowed by ``listing`` (a mixin whose
    ``get_object_list`` calls ``super()``, so it narrows the policy's ``choose`` rows, never widens them) for
    ``choose_view_class, choose_results_view_class`` of a ``ScopedSnippetChooserViewSet``."""
    name = listing.__name__.removesuffix("ChooseViewMixin")
    return (type(f"{name}ChooseView", (listing, ScopedChooseView), {"__module__": listing.__module__}),
            type(f"{name}ChooseResultsView", (listing, ScopedChooseResultsView), {"__module__": listing.__module__}))


# --- modeladmin ------------------------------------------------------------------------------


class PolicyPermissionHelper(PermissionHelper):
    """modeladmin's permission questions, answered by the model's registered policy."""

    @cached_property
    def policy(self):
        return policy_for(self.model)

    def user_can_list(self, user):
        return self.policy.user_has_any_permission(user, ["add", "change", "delete", "view"])

    def user_can_create(self, user):
        return self.policy.user_has_permission(user, "add")

    def user_can_view_obj(self, user, obj):
        return self.policy.user_has_any_permission_for_instance(user, ["view", "change"], obj)

    def user_can_inspect_obj(self, user, obj):
        return self.inspect_view_enabled and self.user_can_view_obj(user, obj)

    def user_can_edit_obj(self, user, obj):
        return self.policy.user_has_permission_for_instance(user, "change", obj)

    def user_can_delete_obj(self, user, obj):
        return self.policy.user_has_permission_for_instance(user, "delete", obj)


class ReadOnlyPermissionHelper(PolicyPermissionHelper):
    """For rows that change only through services (orders, payments, the ledger, payouts):
    the admin lists and inspects them, never adds, edits or deletes."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class PolicyHistoryView(HistoryView):
    """modeladmin's history view checks nothing but login; this one asks the policy."""

    def check_action_permitted(self, user):
        return self.permission_helper.user_can_view_obj(user, self.instance)


class PolicyModelAdmin(ModelAdmin):
    """A ModelAdmin whose listing, inspect, edit, delete and history ask the model's policy."""

    permission_helper_class = PolicyPermissionHelper
    history_view_class = PolicyHistoryView

    def get_queryset(self, request):
        rows = policy_for(self.model).instances_user_has_any_permission_for(request.user, ROW_ACTIONS)
        return super().get_queryset(request).filter(pk__in=rows.values("pk"))


class ReadOnlyModelAdmin(PolicyModelAdmin):
    """Rows written only by services (ledgers, payouts, rewards): listed and inspected under the model's
    policy, never added, edited or deleted in the admin."""

    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True


# --- Bulk actions ----------------------------------------------------------------------------


class HideUnseenItemsMixin:
    """Wagtail lists the items a user may not act on by title ("you don't have permission to
    ..."); items the user may not even see are dropped instead, so ``?id=`` is no oracle."""

    def user_may_see(self, obj) -> bool:
        rows = policy_for(type(obj)).instances_user_has_any_permission_for(self.request.user, ROW_ACTIONS)
        return rows.filter(pk=obj.pk).exists()

    def get_actionable_objects(self):
        objects, extra = super().get_actionable_objects()
        extra["items_with_no_access"] = [obj for obj in extra["items_with_no_access"] if self.user_may_see(obj)]
        return objects, extra


class ScopedSnippetDeleteBulkAction(HideUnseenItemsMixin, SnippetDeleteBulkAction):
    pass


class PermissionMenuItem(MenuItem):
    """An admin menu item shown only to users holding ``permission``: the one its view requires, so the menu never
    offers a page that answers 403."""

    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)
