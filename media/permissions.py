"""Who may upload videos and which videos a user may see: creators their own, managers all."""

from django.db.models import Q, QuerySet

from media.models import Video
from shop.permissions import ScopedPermissionPolicy

UPLOAD_PERMISSION = "kolshop_media.add_video"
MANAGE_ANY_PERMISSION = "kolshop_media.manage_any_video"


def can_upload_videos(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(UPLOAD_PERMISSION))


def can_manage_any_video(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(MANAGE_ANY_PERMISSION))


def visible_videos(user) -> QuerySet[Video]:
    """Every video for editors (``manage_any_video``), otherwise only the user's own."""
    videos = Video.objects.all()
    if not user.is_authenticated:
        return videos.none()
    return videos if can_manage_any_video(user) else videos.filter(owner=user)


class VideoPermissionPolicy(ScopedPermissionPolicy):
    """Wagtail's model permissions, narrowed to the user's own videos unless they manage all.

    Choosing a video (the chooser, ``chosen``, ``chosen-multiple``) needs ``view_video`` and
    offers only the user's own videos; bulk actions, usage and history ask the same policy.
    """

    def user_may_choose(self, user) -> bool:
        return user.has_perm("kolshop_media.view_video")

    def users_who_may_choose(self):
        return self.users_with_permission("view")

    def scope(self, queryset, user, *, actions):
        return queryset & visible_videos(user)

    def in_scope(self, user, instance, *, actions):
        return can_manage_any_video(user) or instance.owner_id == user.pk

    def users_in_scope(self, users, instance):
        manage_any = Q(is_superuser=True) | Q(groups__permissions__codename="manage_any_video") | Q(
            user_permissions__codename="manage_any_video"
        )
        return users.filter(manage_any | Q(pk=instance.owner_id)).distinct()
