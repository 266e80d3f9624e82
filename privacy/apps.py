from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Personal data"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from privacy.registry import discover_sections
        from privacy.roles import ensure_privacy_officers_after_migrate

        discover_sections()
        post_migrate.connect(ensure_privacy_officers_after_migrate, dispatch_uid="kolshop-privacy-officers")
