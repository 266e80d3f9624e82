"""The Privacy officers group: staff who handle data-subject requests and close leavers' accounts
without being superusers. Created or repaired after every migrate (additive, idempotent), like the
Creators, Brands and Editors groups (``creators.services.roles``), so a fresh install has it."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

PRIVACY_OFFICERS_GROUP_NAME = "Privacy officers"

# Requests: record (add), refuse (change), list and inspect (view); a request is never deleted.
# Leavers: find the account in Settings → Users (view_user) and anonymise it (anonymise_leaver).
_PRIVACY_OFFICER_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("privacy", "add_datasubjectrequest"),
    ("privacy", "change_datasubjectrequest"),
    ("privacy", "view_datasubjectrequest"),
    ("privacy", "anonymise_leaver"),
    ("auth", "view_user"),
]


def ensure_privacy_officers() -> Group:
    group, _ = Group.objects.get_or_create(name=PRIVACY_OFFICERS_GROUP_NAME)
    wanted = Q()
    for app_label, codename in _PRIVACY_OFFICER_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.add(*Permission.objects.filter(wanted))
    return group


def ensure_privacy_officers_after_migrate(sender, **kwargs) -> None:
    """Runs once per migrate, after the last app's post_migrate, when every permission exists."""
    apps_with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is apps_with_models[-1]:
        ensure_privacy_officers()
