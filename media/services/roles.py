"""Video permissions for the admin roles, applied after every migrate (additive, idempotent).

The groups themselves belong to ``creators.services.roles``; this only adds the media rights,
so media does not import creators. The names must match ``CREATORS_GROUP_NAME`` and
``EDITORS_GROUP_NAME`` there.
"""

from django.contrib.auth.models import Group, Permission

CREATORS_GROUP_NAME = "Creators"
EDITORS_GROUP_NAME = "Editors"

_CREATOR_CODENAMES = ["add_video", "change_video", "delete_video", "view_video"]
_EDITOR_CODENAMES = _CREATOR_CODENAMES + ["manage_any_video"]


def grant_video_permissions() -> None:
    """Creators upload and manage their own videos; editors manage everyone's."""
    for group_name, codenames in [(CREATORS_GROUP_NAME, _CREATOR_CODENAMES), (EDITORS_GROUP_NAME, _EDITOR_CODENAMES)]:
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="kolshop_media", codename__in=codenames)
        )


def grant_video_permissions_after_migrate(sender, **kwargs) -> None:
    if sender.label == "kolshop_media":
        grant_video_permissions()
