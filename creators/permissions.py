"""Permission policies for creators' rows: links, commission rules, ledger entries, payouts.

Staff (editors hold the model permissions) see every creator's rows. A creator holds no model
permission on these; the only thing they may do in the admin is *choose* their own rows.
"""

from django.db.models import Q

from shop.permissions import ACCESS_ADMIN_PERMISSION, ScopedPermissionPolicy, users_with_admin_access


class CreatorOwnedPermissionPolicy(ScopedPermissionPolicy):
    """``creator_user_path`` leads from the model to the owning creator's user id."""

    def __init__(self, model, *, creator_user_path: str = "creator__user_id", **kwargs):
        super().__init__(model, **kwargs)
        self.creator_user_path = creator_user_path

    def _is_staff(self, user) -> bool:
        return super().user_may_choose(user)

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
