"""The `web` process's application: ASGI, served by gunicorn with uvicorn's worker (Procfile).

ASGI lets a streaming response (server-sent events of a live show) wait on Redis pub/sub as a
coroutine instead of holding a worker process per viewer; ordinary (sync) views run in asgiref's
thread per request, taking database connections from the pool (settings.production).

Django answers no ASGI lifespan events, so ``application`` answers them: at shutdown (uvicorn sends
it after the last request, on gunicorn's graceful stop) the process's click buffer is flushed. An
``atexit`` hook would not run: uvicorn's worker re-raises SIGTERM with the default handler.

Tracked-link follows (``/r/<code>``) that need no database read are answered in front of Django's
handler by ``creators.fast_follow`` (the same view code and middleware, a fraction of the cost)."""

import os

from asgiref.sync import sync_to_async
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")

django_application = get_asgi_application()

from creators.fast_follow import FastFollow  # noqa: E402  (after Django is set up)
from creators.services.click_buffer import flush_clicks  # noqa: E402
from creators.services.links import start_spool_replayer  # noqa: E402
from operations.owed_settles import start_settler  # noqa: E402
from operations.heap import freeze_startup_heap  # noqa: E402 (after the app has loaded)

# /r/<code> follows answered in front of Django's stack by the same view code and middleware.
follows_then_django = FastFollow(django_application)


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            start_spool_replayer()  # this machine's click spool, replayed without a human (a thread)
            start_settler()  # what this process owes the cache after an outage, paid without traffic (a thread)
            await sync_to_async(follows_then_django.warm, thread_sensitive=False)()  # not on the loop's first follow
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await sync_to_async(flush_clicks, thread_sensitive=False)()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    await follows_then_django(scope, receive, send)


freeze_startup_heap()
