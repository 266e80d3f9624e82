from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from shop import checks  # noqa: F401 - registers the system checks
        from shop.services.inventory import connect_catalog_signals

        connect_catalog_signals()

        from shop.services.supply_settlement import connect_settlement

        connect_settlement()
