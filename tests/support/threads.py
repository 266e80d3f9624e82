"""Work run on another database connection, as another process or request would: a thread of its own, whose
connection is closed when the work ends."""

import threading
from collections.abc import Callable

from django.db import connections


def on_another_connection(work: Callable[[], object]) -> threading.Thread:
    """Start ``work`` in a thread (its own connection, committed as it goes); join the thread to wait for it."""
    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
