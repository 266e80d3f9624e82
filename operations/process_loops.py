"""Work every app process does in a thread of its own, traffic or not (paying owed cache settles, replaying the
click spool): one daemon thread per loop and process.

A loop started in a process that then forks (gunicorn ``--preload``: the master imports ``settings.wsgi`` /
``settings.asgi``, which start the loops, and forks its workers) is started again in the child, since a fork
copies only the thread that called it: ``os.register_at_fork(after_in_child=…)`` restarts every loop the parent
had running and had not stopped. Without ``--preload`` each worker imports the app itself and starts its own."""

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class _Loop:
    name: str
    every: float | Callable[[], float]  # seconds between passes (a callable: read at each wait, so tests may change it)
    run_once: Callable[[], object]
    first_now: bool
    at_end: Callable[[], object] | None = None  # run in the thread once it is stopped (e.g. close its connection)
    pid: int = field(default_factory=os.getpid)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def seconds(self) -> float:
        return self.every() if callable(self.every) else self.every

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()

    def finishing(self) -> bool:
        """Whether its thread is still alive in this process (stopped, it may be in the middle of a pass)."""
        return self.pid == os.getpid() and self.thread is not None and self.thread.is_alive()

    def _run(self) -> None:
        try:
            if not self.first_now and self.stop.wait(self.seconds()):
                return
            while not self.stop.is_set():
                try:
                    self.run_once()
                except Exception:  # noqa: BLE001  (the next pass tries again: the thread must outlive any one pass)
                    logger.warning("%s: a pass failed; trying again in %s s", self.name, self.seconds(), exc_info=True)
                self.stop.wait(self.seconds())
        finally:
            if self.at_end is not None:
                self.at_end()


_loops: dict[str, _Loop] = {}
_STOPPING_SECONDS = 30.0  # how long a start waits for a stopped loop's thread to finish its pass


def start_process_loop(name: str, run_once: Callable[[], object], *, every: float | Callable[[], float],
                       first_now: bool = False, at_end: Callable[[], object] | None = None) -> threading.Event:
    """Call ``run_once`` every ``every`` seconds (at once too when ``first_now``) in a daemon thread named ``name``:
    one per process, however often it is called (a forked child gets its own). Returns the event that stops it.

    A loop stopped but still finishing its pass is waited for (``_STOPPING_SECONDS``) before the new thread starts, so
    two passes of one loop never run at once; RuntimeError when it does not finish in time."""
    loop = _loops.get(name)
    if loop is not None and loop.pid == os.getpid() and not loop.stop.is_set():
        return loop.stop
    if loop is not None and loop.finishing():
        loop.thread.join(_STOPPING_SECONDS)
        if loop.thread.is_alive():
            raise RuntimeError(f"{name}: the stopped loop's thread is still running its pass")
    loop = _loops[name] = _Loop(name=name, every=every, run_once=run_once, first_now=first_now, at_end=at_end)
    loop.start()
    return loop.stop


def running_loops() -> list[str]:
    """The names of this process's loops (threads alive)."""
    alive = {thread.name for thread in threading.enumerate()}
    return sorted(name for name, loop in _loops.items() if loop.pid == os.getpid() and name in alive)


def _start_again_after_fork() -> None:
    for loop in list(_loops.values()):
        if not loop.stop.is_set():
            start_process_loop(loop.name, loop.run_once, every=loop.every, first_now=loop.first_now, at_end=loop.at_end)


os.register_at_fork(after_in_child=_start_again_after_fork)
