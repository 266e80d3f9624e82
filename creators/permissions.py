"""Permission policies for creators' rows: links, commission rules, ledger entries, payouts.

Staff (editors hold the model permissions) see every creator's rows. A creator holds no model
permission on these; they may *choose* their own rows, and do ``owner_actions`` to them (tracked
links: add, view, change). Being a creator (having a profile) is what grants those, so a fresh
install needs no extra group permission and a second creator never gets the first one's rows.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q

from shop.permissions import ACCESS_ADMIN_PERMISSION, ScopedPermissionPolicy, users_with_admin_access


class CreatorOwnedPermissionPolicy(ScopedPermissionPolicy):
    """``creator_user_path`` leads from the model to the owning creator's user id."""

    def __init__(self, model, *, creator_user_path: str = "creator__user_id", owner_actions: tuple[str, ...] = (),
                 **kwargs):
        super().__init__(model, **kwargs)
        self.creator_user_path = creator_user_path
        self.owner_actions = owner_actions

    def _is_staff(self, user) -> bool:
        return super().user_may_choose(user)

    def sees_every_creator(self, user) -> bool:
        """Staff (view or change on the model) act for any creator; everyone else only for themselves."""
        return self._is_staff(user)

    def model_permission(self, user, action: str) -> bool:
        if super().model_permission(user, action):
            return True
        return action in self.owner_actions and user.is_active and is_creator(user) and user.has_perm(
            ACCESS_ADMIN_PERMISSION)

    def users_with_any_permission(self, actions):
        users = super().users_with_any_permission(actions)
        if set(actions) & set(self.owner_actions):
            users = (users | users_with_admin_access().filter(creator_profile__isnull=False)).distinct()
        return users

    def user_may_choose(self, user) -> bool:
        return user.has_perm(ACCESS_ADMIN_PERMISSION)

    def users_who_may_choose(self):
        return users_with_admin_access()

    def scope(self, queryset, user, *, actions):
        if self._is_staff(user):
            return queryset
        return queryset.filter(**{self.creator_user_path: user.pk})

    def users_in_scope(self, users, instance):
        owner_id = self.model._default_manager.filter(pk=instance.pk).values_list(self.creator_user_path, flat=True)
        staff = Q(is_superuser=True) | Q(groups__permissions__codename__in=self._staff_codenames()) | Q(
            user_permissions__codename__in=self._staff_codenames()
        )
        return users.filter(staff | Q(pk__in=owner_id)).distinct()

    def _staff_codenames(self) -> list[str]:
        return [self._get_permission_codename(action) for action in ("view", "change")]


def is_creator(user) -> bool:
    """Whether the user has a creator profile (read once per request: Django caches the relation)."""
    try:
        return user.creator_profile is not None
    except (ObjectDoesNotExist, AttributeError):
        return False
