import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.production")

application = get_wsgi_application()

from creators.services.links import start_spool_replayer  # noqa: E402 (after the app has loaded)
from operations.owed_settles import start_settler  # noqa: E402
from operations.heap import freeze_startup_heap  # noqa: E402

start_spool_replayer()  # this machine's click spool, replayed without a human (a thread per process)
start_settler()  # what this process owes the cache after an outage, paid without waiting for traffic (a thread)

freeze_startup_heap()
