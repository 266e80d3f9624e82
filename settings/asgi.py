"""ASGI entry point: serves the live SSE streams (content.live.views.events_view) and every other view."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")

application = get_asgi_application()
