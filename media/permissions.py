"""Who may upload videos and which videos a user may see: creators their own, managers all."""

from django.db.models import QuerySet
from wagtail.permission_policies import ModelPermissionPolicy

from media.models import Video

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


class VideoPermissionPolicy(ModelPermissionPolicy):
    """Wagtail's model permissions, narrowed to the user's own videos unless they manage all."""

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not super().user_has_any_permission_for_instance(user, actions, instance):
            return False
        return can_manage_any_video(user) or instance.owner_id == user.pk

    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        return instances if can_manage_any_video(user) else instances.filter(owner=user)
