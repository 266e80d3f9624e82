"""Small helpers that read typed values from the environment (Saleor style)."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def get_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def get_required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def get_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}.")


def get_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from error


def get_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def replica_database(url: str) -> dict:
    """``{"replica": …}`` for a read replica's ``DATABASE_REPLICA_URL`` (none when empty). In tests the
    replica mirrors the test database."""
    if not url:
        return {}
    import dj_database_url

    replica = dj_database_url.parse(url, conn_max_age=get_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True)
    replica["TEST"] = {"MIRROR": "default"}
    return {"replica": replica}


def pool_connections(databases: dict) -> None:
    """PostgreSQL connections from a pool per process (psycopg_pool) for every PostgreSQL database of
    ``databases``: an ASGI process runs each request in a thread of its own, so per-thread persistent
    connections would be opened per request."""
    for database in databases.values():
        if database["ENGINE"] == "django.db.backends.postgresql":
            database["CONN_MAX_AGE"] = 0
            database.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 1, "max_size": get_int("DATABASE_POOL_MAX_SIZE", 8), "timeout": 10,
            }


def cache_settings(url: str) -> dict:
    """``CACHES`` for a ``CACHE_URL``: Redis (django-redis) for ``redis://``/``rediss://``, memcached for
    ``host:port`` lists, and process-local memory when empty (one process only: the demo and tests)."""
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kolshop"}}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "default": {
                # django-redis's, absorbing an outage for code that can't (Wagtail, django-ratelimit); ours
                # sees it through operations.cache_guard.guarded and makes up for what it could not write.
                "BACKEND": "operations.cache_guard.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "kolshop",
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache", "LOCATION": url}}
