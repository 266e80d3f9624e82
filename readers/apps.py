from django.apps import AppConfig


class ReadersConfig(AppConfig):
    name = "readers"
    verbose_name = "Readers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from readers.handlers import connect_shop_events

        connect_shop_events()

        from creators.reports.channels import register_channel
        from readers.services.report_channel import reader_share_orders

        register_channel(reader_share_orders)
