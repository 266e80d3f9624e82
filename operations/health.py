"""``/healthz`` (the process answers) and ``/readyz`` (its database, storage and task queue do; its cache is
reported but does not make it unready).

Answered by a middleware placed first, so a load balancer's probe is never redirected to HTTPS, never
refused for its Host header (probes use the node's address) and never rate limited. The body names
components and their state only: no hosts, versions or error messages.
"""

import logging
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


def readiness() -> dict[str, str]:
    """Each component's state: "ok", "unavailable" (the node can't serve) or "degraded" (it serves without)."""
    states = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
            states[name] = "ok"
        except Exception:  # noqa: BLE001 - any failure counts; the log keeps the detail
            logger.exception("readiness check failed", extra={"component": name})
            states[name] = "degraded" if name in OPTIONAL_COMPONENTS else "unavailable"
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
