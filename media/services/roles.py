"""Video permissions for the admin roles, applied after every migrate (additive, idempotent).

The groups themselves belong to ``creators.services.roles``; this only adds the media rights,
so media does not import creators. The names must match ``CREATORS_GROUP_NAME`` and
``EDITORS_GROUP_NAME`` there.
"""

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS

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


def grant_video_permissions_after_migrate(sender, *, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Runs for media's own post_migrate signal.

    ``media`` comes before ``django.contrib.auth`` in INSTALLED_APPS, so this receiver runs before
    auth's ``create_permissions`` for media: on a fresh database the video permissions do not exist
    yet. Creating them first (idempotent, as auth does) makes the grant independent of that order.
    """
    if sender.label != "kolshop_media":
        return
    create_permissions(sender, verbosity=0, using=using)
    grant_video_permissions()
