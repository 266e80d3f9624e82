"""Admin permission policies: model permissions, narrowed to the rows a user may act on.

Every owner- or brand-scoped model registers one of these with Wagtail, and every admin entry
point asks it: snippet views (through ``ScopedSnippetViewSet``), bulk actions, choosers,
history and usage, and the modeladmin listings (through ``PolicyPermissionHelper``).

A policy answers two questions and derives every Wagtail entry point from them:
``model_permission(user, action)`` (may the user do this to some rows at all?) and
``scope(queryset, user)`` (which rows?). Staff hold model permissions without a scope; brand
users are limited to their brands, creators to their own rows.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from wagtail.permission_policies import ModelPermissionPolicy

from shop.models import ProductStatus, Variant
from shop.services.brand_access import BRANDS_GROUP_NAME, brand_ids_for_user, limit_to_user_brands

ACCESS_ADMIN_PERMISSION = "wagtailadmin.access_admin"
# Choosing a row means seeing it in a chooser; staff choose what they may view or change.
CHOOSE = "choose"


class ScopedPermissionPolicy(ModelPermissionPolicy):
    """Base policy: a user may do ``action`` to ``instance`` when they hold the model permission
    for ``action`` and the instance is in their scope. Subclasses implement ``scope`` and
    ``users_in_scope``; ``in_scope`` defaults to a query and may be overridden."""

    def model_permission(self, user, action: str) -> bool:
        if not (user.is_authenticated and user.is_active):
            return False
        if action == CHOOSE:
            return self.user_may_choose(user)
        return ModelPermissionPolicy.user_has_permission(self, user, action)

    def user_may_choose(self, user) -> bool:
        return any(ModelPermissionPolicy.user_has_permission(self, user, action) for action in ("view", "change"))

    def users_who_may_choose(self) -> QuerySet:
        """The users ``user_may_choose`` admits, as a queryset (mirror it when overriding)."""
        return ModelPermissionPolicy.users_with_any_permission(self, ["view", "change"])

    def scope(self, queryset: QuerySet, user, *, actions: list[str]) -> QuerySet:
        raise NotImplementedError

    def users_in_scope(self, users: QuerySet, instance) -> QuerySet:
        raise NotImplementedError

    def in_scope(self, user, instance, *, actions: list[str]) -> bool:
        rows = self.model._default_manager.filter(pk=instance.pk)
        return self.scope(rows, user, actions=actions).exists()

    # --- Wagtail's entry points, all answered from the three methods above ---------------------

    def user_has_permission(self, user, action):
        return self.model_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.model_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        permitted = [action for action in actions if self.model_permission(user, action)]
        return bool(permitted) and self.in_scope(user, instance, actions=permitted)

    def instances_user_has_permission_for(self, user, action):
        return self.instances_user_has_any_permission_for(user, [action])

    def instances_user_has_any_permission_for(self, user, actions):
        permitted = [action for action in actions if self.model_permission(user, action)]
        if not permitted:
            return self.model._default_manager.none()
        return self.scope(self.model._default_manager.all(), user, actions=permitted)

    def users_with_any_permission(self, actions):
        users = ModelPermissionPolicy.users_with_any_permission(self, [a for a in actions if a != CHOOSE])
        if CHOOSE in actions:
            users = (users | self.users_who_may_choose()).distinct()
        return users

    def users_with_permission_for_instance(self, action, instance):
        return self.users_with_any_permission_for_instance([action], instance)

    def users_with_any_permission_for_instance(self, actions, instance):
        return self.users_in_scope(self.users_with_any_permission(actions), instance)


def users_with_admin_access() -> QuerySet:
    """Active users holding ``wagtailadmin.access_admin`` (directly, by group or as superusers)."""
    app_label, codename = ACCESS_ADMIN_PERMISSION.split(".")
    grants = Q(content_type__app_label=app_label, codename=codename)
    return get_user_model().objects.filter(
        Q(is_superuser=True) | Q(groups__permissions__in=Permission.objects.filter(grants))
        | Q(user_permissions__in=Permission.objects.filter(grants)),
        is_active=True,
    ).distinct()


def _unlimited_by_brand() -> Q:
    """Users ``brand_ids_for_user`` does not limit: superusers, and anyone outside Brands without
    a brand membership."""
    return Q(is_superuser=True) | (~Q(groups__name=BRANDS_GROUP_NAME) & ~Q(brand_memberships__isnull=False))


class BrandScopedPermissionPolicy(ScopedPermissionPolicy):
    """Model permissions, narrowed for brand users to rows of their brands.

    ``brand_path`` is the lookup from the model to the brand's id, e.g. ``"brand_id"``
    for products or ``"product__brand_id"`` for variants.
    """

    def __init__(self, model, *, brand_path: str, **kwargs):
        super().__init__(model, **kwargs)
        self.brand_path = brand_path

    def brand_id_of(self, instance) -> int | None:
        value = instance
        for part in self.brand_path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def scope(self, queryset, user, *, actions):
        return limit_to_user_brands(queryset, user, brand_path=self.brand_path)

    def in_scope(self, user, instance, *, actions):
        brand_ids = brand_ids_for_user(user)
        return brand_ids is None or self.brand_id_of(instance) in brand_ids

    def users_in_scope(self, users, instance):
        brand_id = self.brand_id_of(instance)
        return users.filter(_unlimited_by_brand() | Q(brand_memberships__brand_id=brand_id)).distinct()


class CatalogPermissionPolicy(BrandScopedPermissionPolicy):
    """Products and variants: brand users act on their brands' rows; any admin user (a creator
    writing a page) may *choose* active ones; staff (``view`` or ``change``) see every row."""

    def __init__(self, model, *, brand_path: str, status_path: str, **kwargs):
        super().__init__(model, brand_path=brand_path, **kwargs)
        self.status_path = status_path

    def user_may_choose(self, user) -> bool:
        return user.has_perm(ACCESS_ADMIN_PERMISSION)

    def users_who_may_choose(self):
        return users_with_admin_access()

    def _is_staff(self, user) -> bool:
        return brand_ids_for_user(user) is None and super().user_may_choose(user)

    def scope(self, queryset, user, *, actions):
        if brand_ids_for_user(user) is None and not self._is_staff(user):
            # Only choosing is left (creators): active rows of any brand.
            return queryset.filter(**{self.status_path: ProductStatus.ACTIVE})
        return super().scope(queryset, user, actions=actions)

    def _is_active(self, instance) -> bool:
        value = instance
        for part in self.status_path.split("__"):
            value = getattr(value, part)
        return value == ProductStatus.ACTIVE

    def in_scope(self, user, instance, *, actions):
        if brand_ids_for_user(user) is None and not self._is_staff(user):
            return self._is_active(instance)
        return super().in_scope(user, instance, actions=actions)

    def users_in_scope(self, users, instance):
        users = super().users_in_scope(users, instance)
        if self._is_active(instance):
            return users
        staff_or_members = ModelPermissionPolicy.users_with_any_permission(self, ["view", "change"])
        return users.filter(pk__in=staff_or_members.values("pk"))


class BackOfficePermissionPolicy(ScopedPermissionPolicy):
    """Orders, payments and vouchers: staff with the model permission see every row, nobody
    else any (buyers' addresses and payment ids are not for creators or brands)."""

    def scope(self, queryset, user, *, actions):
        return queryset

    def in_scope(self, user, instance, *, actions):
        return True

    def users_in_scope(self, users, instance):
        return users


# Who runs promotions across the whole catalog (editors): the ``shop.change_promotion`` grant, which
# neither brand users nor creators hold.
CATALOG_PROMOTIONS_PERMISSION = "shop.change_promotion"


class GroupCampaignPermissionPolicy(CatalogPermissionPolicy):
    """Group buys: staff (who run promotions) act on every campaign; a brand user on campaigns for
    their brands' products; a creator on the campaigns they created. Anyone in the admin may *choose*
    a campaign on an active product (a creator embedding it in a page).

    ``campaign_variants`` is the one answer to "on which variants may this user run a campaign":
    staff any active one, brand users their brands' active ones, creators any active product they
    may sell (every active product is sellable through a storefront today).
    """

    def _is_staff(self, user) -> bool:
        return brand_ids_for_user(user) is None and user.has_perm(CATALOG_PROMOTIONS_PERMISSION)

    def _is_creator(self, user) -> bool:
        return brand_ids_for_user(user) is None and not self._is_staff(user)

    def scope(self, queryset, user, *, actions):
        if self._is_creator(user):
            own = Q(created_by=user) if any(self.model_permission(user, action) for action in actions
                                            if action != CHOOSE) else Q(pk__in=[])
            chooses = Q(**{self.status_path: ProductStatus.ACTIVE}) if CHOOSE in actions else Q(pk__in=[])
            return queryset.filter(own | chooses)
        return BrandScopedPermissionPolicy.scope(self, queryset, user, actions=actions)

    def in_scope(self, user, instance, *, actions):
        if self._is_creator(user):
            if CHOOSE in actions and self._is_active(instance):
                return True
            return instance.created_by_id == user.pk and any(action != CHOOSE for action in actions)
        return BrandScopedPermissionPolicy.in_scope(self, user, instance, actions=actions)

    def users_in_scope(self, users, instance):
        brand_id = self.brand_id_of(instance)
        return users.filter(_unlimited_by_brand() | Q(brand_memberships__brand_id=brand_id)
                            | Q(pk=instance.created_by_id)).distinct()

    def campaign_variants(self, user) -> QuerySet:
        """The variants ``user`` may open a group campaign on (active products only)."""
        variants = Variant.objects.filter(product__status=ProductStatus.ACTIVE).select_related("product")
        if not (user.is_authenticated and user.is_active and self.model_permission(user, "add")):
            return variants.none()
        return limit_to_user_brands(variants, user, brand_path="product__brand_id")
