from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = "Content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from content import signal_handlers

        signal_handlers.connect()

        from content.live import changes

        changes.connect()  # shop facts a live session shows raise its version

        from content.services.page_block_labels import page_block_labels
        from creators.services.block_labels import register_block_directory

        register_block_directory(page_block_labels)
