from django.apps import AppConfig


class NaiveConfig(AppConfig):
    """The bench's baseline: shoppable content built the naive Wagtail way (installed only by settings.bench)."""

    name = "bench.naive"
    label = "bench_naive"
    default_auto_field = "django.db.models.BigAutoField"
