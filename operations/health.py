"""``/healthz`` (the process answers) and ``/readyz`` (its database, storage and task queue do; its cache is
reported but does not make it unready).

Answered by a middleware placed first, so a load balancer's probe is never redirected to HTTPS, never
refused for its Host header (probes use the node's address) and never rate limited. The body names
components and their state only: no hosts, versions or error messages.
"""

import logging
import threading
import uuid

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    key, token = f"kolshop:readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, token, timeout=10)
    if cache.get(key) != token:
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def _storage() -> None:
    default_storage.exists("kolshop-readyz-probe")


def _task_queue() -> None:
    from django_tasks import default_task_backend

    if type(default_task_backend).__module__.startswith("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.only("pk").first()


READINESS_CHECKS = {"database": _database, "cache": _cache, "storage": _storage, "task_queue": _task_queue}
# What a node serves without: the cache is a shortcut (``operations.cache_guard``), so a Redis outage makes every
# node "degraded", never unready. Taking each node out of the load balancer at once would turn a slower shop into
# no shop at all.
OPTIONAL_COMPONENTS = frozenset({"cache"})


# How long a probe waits for an optional component's check. A Redis that hangs (a partition, not a refusal) would
# hold each probe for the client's socket timeout, longer than a load balancer's probe timeout (often 1 s): every
# node would time out at once, the outage "degraded" exists to prevent. The check goes on in its own thread (one at
# a time per component; later probes wait on the same one) and the probe answers "degraded" when it isn't done.
OPTIONAL_CHECK_SECONDS = 0.5


class _CheckInFlight:
    def __init__(self, check) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None
        threading.Thread(target=self._run, args=(check,), name="readyz-check", daemon=True).start()

    def _run(self, check) -> None:
        try:
            check()
        except BaseException as error:  # noqa: BLE001 - reported by the probe that waits for it
            self.error = error
        finally:
            self.done.set()


_in_flight: dict[str, _CheckInFlight] = {}
_in_flight_lock = threading.Lock()
_last_optional_state: dict[str, str] = {}


def _check_within_wait(name: str, check) -> None:
    """``check()`` in its own thread, waited for ``OPTIONAL_CHECK_SECONDS``; raises its error, or TimeoutError."""
    with _in_flight_lock:
        running = _in_flight.get(name)
        if running is None or running.done.is_set():
            running = _in_flight[name] = _CheckInFlight(check)
    if not running.done.wait(OPTIONAL_CHECK_SECONDS):
        raise TimeoutError(f"{name} check still running")
    if running.error is not None:
        raise running.error


def readiness() -> dict[str, str]:
    """Each component's state: "ok", "unavailable" (the node can't serve) or "degraded" (it serves without)."""
    states = {}
    for name, check in READINESS_CHECKS.items():
        optional = name in OPTIONAL_COMPONENTS
        try:
            _check_within_wait(name, check) if optional else check()
            states[name] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure counts; the log keeps the detail
            if not optional:
                logger.exception("readiness check failed", extra={"component": name})
            elif _last_optional_state.get(name) != "degraded":  # one line per outage, not one per probe
                logger.warning("readiness: %s degraded (%s)", name, type(error).__name__, extra={"component": name})
            states[name] = "degraded" if optional else "unavailable"
        if optional:
            _last_optional_state[name] = states[name]
    return states


def overall_state(states: dict[str, str]) -> str:
    if "unavailable" in states.values():
        return "unavailable"
    return "degraded" if "degraded" in states.values() else "ok"


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path == LIVENESS_PATH:
            return _no_store(JsonResponse({"status": "ok"}))
        if path == READINESS_PATH:
            states = readiness()
            status = overall_state(states)
            body = {"status": status, "checks": states}
            return _no_store(JsonResponse(body, status=503 if status == "unavailable" else 200))
        return self.get_response(request)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response
