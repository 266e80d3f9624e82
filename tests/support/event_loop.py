"""Run a coroutine to completion from a test, whatever the calling thread is doing.

Playwright's sync API (the session-scoped browser of tests/browser) leaves an event loop running in
the main thread for the rest of the session, so ``asyncio.run`` or ``async_to_sync`` there fails; a
fresh thread has no loop of its own.
"""

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def run_coroutine(make_coroutine: Callable[[], Awaitable[T]], *, timeout: float = 30) -> T:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = asyncio.run(make_coroutine())
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"the coroutine did not finish within {timeout} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
