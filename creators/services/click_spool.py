"""The last resort of the click path: a batch that neither Redis nor the database took is appended to a local
file (one per process, ``KOLSHOP_CLICK_SPOOL_DIR``), fsync'd before the redirects that carry its ids are sent,
and handed on again once either is back (``replay_spooled_clicks``). So a click acknowledged during a double
outage survives a SIGKILL of its process: any process on the same machine replays the file later.

- **Format.** One JSON line per click (``QueuedClick``'s fields, ``outcome_unknown`` only when set). A line cut
  short by a kill mid-write belongs to a batch whose redirects were never sent (the fsync comes first); it is
  skipped. A line this code can't read (another release's fields) is kept in ``<file>.unreadable``, logged.
- **Releases side by side** (a rolling deploy, a rollback). Clicks Redis may have counted (``outcome_unknown``) go
  to ``unknown-clicks-<pid>.jsonl``, a name the releases before that field never look at (``clicks-*.jsonl``);
  the others' lines carry no new field, so either release replays them. A file whose replay may have reached Redis
  is renamed ``unknown-clicks-moved-<pid>-<ns>.jsonl`` (one atomic step): every click read from an
  ``unknown-clicks-*`` file is replayed marked, whatever its line says.
- **Idempotent.** The click ids are reserved, and both ways in count a click once by id: the drainer writes
  ``ON CONFLICT DO NOTHING`` and the inline count finds the row or alias already in. A replay cut short by a kill
  after handing on, before the file was removed, hands the same clicks on again harmlessly.
- **Locks.** Writer and replayer hold ``flock`` on the file; the replayer removes a file it has handed on while
  holding the lock, and a writer that then finds its open file unlinked opens a new one.
- **Who replays.** The spool is local to a machine and only app processes write it, so every app process
  replays its machine's spool itself: after a send that succeeded (``replay_due``), and in a thread of its own
  every ``REPLAY_SECONDS`` from its start, traffic or not (``start_replayer``, started by ``settings.asgi`` /
  ``settings.wsgi``), so a spool left by an outage or by processes killed during it is handed on without a
  human once the way in is back. The scheduler is no help here: it may run on another machine.
"""

import dataclasses
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import redis
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections

from creators.services.click_queue import QueuedClick, may_have_run
from operations.process_loops import start_process_loop

logger = logging.getLogger(__name__)

LOOK_SECONDS = 10.0  # how often a process whose sends succeed looks for spooled batches to replay
REPLAY_SECONDS = 30.0  # how often each app process's replayer thread looks, traffic or not
_next_look = 0.0


def spool_dir() -> Path | None:
    directory = settings.KOLSHOP_CLICK_SPOOL_DIR
    return Path(directory) if directory else None


UNKNOWN_PREFIX = "unknown-clicks-"  # a file of clicks Redis may have counted: replayed into Redis alone
PATTERNS = ("clicks-*.jsonl", f"{UNKNOWN_PREFIX}*.jsonl")


class Unreadable(Exception):
    """A spooled line this code can't read (another release's fields): kept aside, never dropped."""


def _encode(click: QueuedClick) -> bytes:
    fields = dataclasses.asdict(click)
    if not click.outcome_unknown:  # a line the releases before the field can read too
        del fields["outcome_unknown"]
    return (json.dumps(fields, separators=(",", ":")) + "\n").encode()


def _decode(line: bytes) -> QueuedClick | None:
    """The line's click; None for an empty line or one cut short by a kill mid-write (its batch was never
    acknowledged). Raises ``Unreadable`` for a whole line this code can't read."""
    if not line.strip():
        return None
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    try:
        return QueuedClick(**{**fields, "visitor_candidates": tuple(fields["visitor_candidates"]),
                              "limit": tuple(fields["limit"]) if fields["limit"] else None})
    except (KeyError, TypeError) as error:
        raise Unreadable(str(error)) from error


def _open_locked(path: Path, flags: int) -> int:
    """``path`` opened and locked; a file a replayer removed meanwhile is left for a new one."""
    while True:
        fd = os.open(path, flags, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink:
            return fd
        os.close(fd)


def spool_clicks(clicks: list[QueuedClick]) -> None:
    """Append the batch to this process's spool file and fsync it (the file, and the directory when the file is
    new). Raises OSError (or RuntimeError with no spool directory) if it can't: the caller then keeps the batch."""
    directory = spool_dir()
    if directory is None:
        raise RuntimeError("KOLSHOP_CLICK_SPOOL_DIR is not set")
    directory.mkdir(parents=True, exist_ok=True)
    for prefix, unknown in (("clicks-", False), (UNKNOWN_PREFIX, True)):
        if part := [click for click in clicks if click.outcome_unknown is unknown]:
            # Each batch starts on a new line: a line an earlier process (same pid, after a restart) left cut
            # short stays a line of its own, skipped, instead of swallowing this batch's first click.
            _append(directory / f"{prefix}{os.getpid()}.jsonl", b"\n" + b"".join(map(_encode, part)))
    _fsync_directory(directory)  # the file's name too (new, or made again after a replay)
    global _next_look
    _next_look = 0.0  # look again at the next successful send
    if may_be_counted := sum(click.outcome_unknown for click in clicks):  # sent to Redis, no answer: resent to Redis only
        logger.warning("click queue did not answer: %s clicks it may have counted spooled to %s", may_be_counted,
                       directory)
    if unavailable := len(clicks) - may_be_counted:
        logger.warning("click queue and database unavailable: %s clicks spooled to %s", unavailable, directory)


def _fsync_directory(directory: Path) -> None:
    """The directory's entries made durable (a file created or renamed in it)."""
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


def _append(path: Path, data: bytes) -> None:
    """``data`` appended to ``path`` under its lock (and fsync'd): a short write (a full disk) is finished or
    raises, never half a batch reported spooled."""
    left = memoryview(data)
    fd = _open_locked(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        while left:
            left = left[os.write(fd, left):]
        os.fsync(fd)
    finally:
        os.close(fd)


def replay_spooled_clicks(*, hand_on: Callable[[list[QueuedClick]], object]) -> int:
    """Hand every spooled batch on (``hand_on``: into the queue, else inline), removing each file once handed
    on; a file another process is writing or replaying right now is left for later. Returns the clicks handed
    on. A file whose ``hand_on`` fails (Redis or the database down, a deadlock) stays in place, is logged, and the
    pass goes on with the other files; once all were tried, the first failure is raised (the next pass retries)."""
    directory = spool_dir()
    if directory is None or not directory.is_dir():
        return 0
    replayed = 0
    failure: Exception | None = None
    for path in sorted(path for pattern in PATTERNS for path in directory.glob(pattern)):
        try:
            replayed += _replay_file(path, hand_on)
        except (redis.RedisError, DatabaseError) as error:
            logger.warning("replaying spool file %s failed (%s); left for the next pass", path.name,
                           type(error).__name__)
            failure = failure or error
    if replayed:
        logger.info("replayed %s spooled clicks", replayed)
    if failure is not None:
        raise failure
    return replayed


def _replay_file(path: Path, hand_on: Callable[[list[QueuedClick]], object]) -> int:
    """One spool file handed on and removed; 0 when another process holds it or removed it meanwhile."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # replayed by another process meanwhile
        return 0
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0
        if not os.fstat(fd).st_nlink:
            return 0
        with os.fdopen(os.dup(fd), "rb") as file:
            clicks = _read_clicks(path, file.read().splitlines())
        marked = path.name.startswith(UNKNOWN_PREFIX)
        if marked:  # every click of such a file (one renamed by ``_keep_marked`` holds unmarked lines)
            clicks = [dataclasses.replace(click, outcome_unknown=True) for click in clicks]
        if clicks:
            try:
                _hand_on_or_drop(clicks, hand_on)
            except redis.RedisError as error:
                if may_have_run(error) and not marked:
                    _keep_marked(path)
                raise
        os.unlink(path)
        return len(clicks)
    finally:
        os.close(fd)


def _keep_marked(path: Path) -> None:
    """A file's clicks sent to Redis on replay with no answer read: Redis may have counted them (a repeat as the
    visit's earlier click, the limit spent), so the file (whose lock the caller holds) is renamed, at once, to an
    ``unknown-clicks-moved-…`` name: all its clicks are then replayed marked, into Redis alone, and the releases
    before the mark (``clicks-*.jsonl``) don't look at it. A writer that opened the file before the rename appends
    to the renamed file: its clicks are marked too (resent to Redis only, never lost). If the rename fails the file
    stays as it was (logged)."""
    moved = path.with_name(f"{UNKNOWN_PREFIX}moved-{os.getpid()}-{time.time_ns()}.jsonl")
    try:
        os.rename(path, moved)
        _fsync_directory(path.parent)
    except OSError:
        logger.exception("replayed clicks Redis may have counted could not be marked: %s left as it was", path.name)


def _read_clicks(path: Path, lines: list[bytes]) -> list[QueuedClick]:
    """The file's clicks; lines this code can't read are appended (fsync'd) to ``<file>.unreadable``, logged, kept
    for a release that can (or a human), before the file is removed."""
    clicks, unreadable = [], []
    for line in lines:
        try:
            if (click := _decode(line)) is not None:
                clicks.append(click)
        except Unreadable:
            unreadable.append(line + b"\n")
    if unreadable:
        kept = path.with_name(path.name + ".unreadable")
        _append(kept, b"".join(unreadable))
        logger.error("%s spooled click lines could not be read: kept in %s", len(unreadable), kept)
    return clicks


def _hand_on_or_drop(clicks: list[QueuedClick], hand_on: Callable[[list[QueuedClick]], object]) -> None:
    """Hand the file's clicks on. When the way in is down again (Redis, the database) it raises and the file
    stays; when the batch is refused for what it holds (a link deleted meanwhile), each click is handed on alone
    and those refused are dropped, counted in the log, so one bad click never blocks the spool (or keeps its
    personal data) for ever."""
    try:
        hand_on(clicks)
        return
    except (redis.RedisError, DatabaseError) as error:
        if not isinstance(error, IntegrityError):
            raise
    dropped = 0
    for click in clicks:
        try:
            hand_on([click])
        except IntegrityError:
            dropped += 1
    logger.error("%s spooled clicks were refused on replay and dropped", dropped)


def replay_is_due() -> bool:
    """Whether ``replay_due`` would look now (a look off the event loop: it reads files and writes)."""
    return time.monotonic() >= _next_look and spool_dir() is not None


def replay_due(*, hand_on: Callable[[list[QueuedClick]], object]) -> int:
    """``replay_spooled_clicks`` at most every ``LOOK_SECONDS`` (right away after this process spooled): called
    after a send that succeeded, so the way in is back. A failing replay is logged and tried again later."""
    global _next_look
    now = time.monotonic()
    if now < _next_look or spool_dir() is None:
        return 0
    _next_look = now + LOOK_SECONDS
    try:
        return replay_spooled_clicks(hand_on=hand_on)
    except Exception:  # noqa: BLE001  (the files stay; the request that found the way back must not fail)
        logger.exception("replaying spooled clicks failed")
        return 0


def start_replayer(*, hand_on: Callable[[list[QueuedClick]], object]) -> threading.Event | None:
    """Replay this machine's spool now and every ``REPLAY_SECONDS`` in a daemon thread of this process (one per
    process, a forked child starts its own; none without a spool directory). A look finding no file costs a
    directory listing and nothing else; a replay failing (the way in still down) leaves the files for the next.
    Returns the event that stops the thread."""
    if spool_dir() is None:
        return None

    def replay_once() -> None:
        try:
            replay_spooled_clicks(hand_on=hand_on)
        finally:
            connections.close_all()  # this thread's own: none held between looks (the pool is small)

    return start_process_loop("click-spool-replayer", replay_once, every=lambda: REPLAY_SECONDS, first_now=True)
