"""The `web` process's application: ASGI, served by gunicorn with uvicorn's worker (Procfile).

ASGI lets a streaming response (server-sent events of a live show) wait on Redis pub/sub as a
coroutine instead of holding a worker process per viewer; ordinary (sync) views run in asgiref's
thread per request, taking database connections from the pool (settings.production)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")

application = get_asgi_application()

from operations.heap import freeze_startup_heap  # noqa: E402 (after the app has loaded)

freeze_startup_heap()
