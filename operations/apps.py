from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running kolshop: health probes and the scheduler. Knows no domain app; jobs are named by path."""

    name = "operations"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from operations import checks  # noqa: F401 - registers the system checks
