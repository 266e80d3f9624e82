from django.apps import AppConfig


class MediaConfig(AppConfig):
    """Storage and uploads (local files under var/ by default; S3 when configured)."""

    name = "media"
    label = "kolshop_media"
    verbose_name = "Media"
    default_auto_field = "django.db.models.BigAutoField"
