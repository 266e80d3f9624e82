from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MediaConfig(AppConfig):
    """Storage and uploads (local files under var/ by default; S3 when configured)."""

    name = "media"
    label = "kolshop_media"
    verbose_name = "Media"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from media import signals  # noqa: F401
        from media.services.roles import grant_video_permissions_after_migrate

        post_migrate.connect(grant_video_permissions_after_migrate, sender=self)
