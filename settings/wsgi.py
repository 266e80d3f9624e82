import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")

application = get_wsgi_application()

from operations.heap import freeze_startup_heap  # noqa: E402 (after the app has loaded)

freeze_startup_heap()
