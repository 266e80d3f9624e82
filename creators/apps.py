from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CreatorsConfig(AppConfig):
    name = "creators"
    verbose_name = "Creators"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from creators.services.onboarding import ensure_roles_after_migrate

        post_migrate.connect(ensure_roles_after_migrate, dispatch_uid="kolshop-ensure-roles")

        from creators.handlers import connect_shop_events

        connect_shop_events()

        from creators.services.link_routes import connect_route_invalidation

        connect_route_invalidation()

        from creators.services.listings import connect_listing_events

        connect_listing_events()
