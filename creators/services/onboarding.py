"""Bringing a creator on board: profile, storefront page and the page permissions that fence them in."""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

from creators.models import CreatorIndexPage, CreatorPage, CreatorProfile
from creators.services.roles import (
    CREATOR_COLLECTION_PERMISSIONS,
    CREATORS_GROUP_NAME,
    ensure_role_groups,
    grant_collection_permissions,
)

# "add" lets a creator create pages beneath their storefront and edit the ones they own;
# "change" lets them edit any page beneath it (e.g. one an editor drafted for them).
# Without "publish" everything they write goes through the moderation workflow.
CREATOR_PAGE_PERMISSIONS = ("add_page", "change_page")


def creator_group_name(handle: str) -> str:
    return f"Creator: {handle}"


def creator_collection_name(handle: str) -> str:
    return f"Creator: {handle}"


@transaction.atomic
def provision_creator(
    user: AbstractBaseUser,
    *,
    display_name: str,
    handle: str,
    index_page: CreatorIndexPage,
    bio: str = "",
    default_commission_rate: Decimal | None = None,
) -> CreatorProfile:
    """Create (or complete) a creator: profile, storefront page, Creators membership, page rights
    and their own image/document collection.

    Idempotent: calling it again for the same user repairs anything missing and changes nothing else.
    """
    ensure_role_groups()
    defaults = {"display_name": display_name, "handle": handle, "bio": bio}
    if default_commission_rate is not None:
        defaults["default_commission_rate"] = default_commission_rate
    profile, _ = CreatorProfile.objects.get_or_create(user=user, defaults=defaults)

    storefront = CreatorPage.objects.filter(creator=profile).first()
    if storefront is None:
        storefront = CreatorPage(title=profile.display_name, slug=profile.handle, creator=profile, owner=user)
        index_page.add_child(instance=storefront)
        storefront.save_revision(user=user).publish()

    user.groups.add(Group.objects.get(name=CREATORS_GROUP_NAME))
    own_group, _ = Group.objects.get_or_create(name=creator_group_name(profile.handle))
    user.groups.add(own_group)
    for codename in CREATOR_PAGE_PERMISSIONS:
        GroupPagePermission.objects.get_or_create(
            group=own_group,
            page=storefront.page_ptr,
            permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
        )
    ensure_creator_collection(own_group, handle=profile.handle)
    return profile


def ensure_creator_collections() -> None:
    """Gives every creator onboarded before collections existed their own (run after migrate)."""
    if Collection.get_first_root_node() is None:
        return
    for profile in CreatorProfile.objects.select_related("user").order_by("pk"):
        own_group, _ = Group.objects.get_or_create(name=creator_group_name(profile.handle))
        profile.user.groups.add(own_group)
        ensure_creator_collection(own_group, handle=profile.handle)


def ensure_creator_collection(own_group: Group, *, handle: str) -> Collection:
    """The creator's own collection under root: their uploads land there, and it is all they can choose.

    Found again through the group's rights on it (not its name), so renaming it in the admin is safe.
    """
    granted = (
        GroupCollectionPermission.objects.filter(group=own_group, permission__codename="add_image")
        .select_related("collection")
        .first()
    )
    if granted is not None:
        collection = granted.collection
    else:
        collection = Collection.get_first_root_node().add_child(name=creator_collection_name(handle))
    grant_collection_permissions([own_group], collection=collection, pairs=CREATOR_COLLECTION_PERMISSIONS)
    return collection


def ensure_roles_after_migrate(sender, **kwargs) -> None:
    """Runs once per migrate, after the last app's post_migrate, when every permission exists."""
    from django.apps import apps

    apps_with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is apps_with_models[-1]:
        ensure_role_groups()
        ensure_creator_collections()
