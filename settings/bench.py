"""`make bench`: production-like (DEBUG off, real cache code paths) plus the naive baseline app."""

import os

import dj_database_url

from settings import env
from settings.base import *  # noqa: F401,F403
from settings.base import INSTALLED_APPS, VAR_DIR

DEBUG = False
SECRET_KEY = "kolshop-bench-secret-key-not-for-production"
ALLOWED_HOSTS = ["localhost", "testserver", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
INSTALLED_APPS = [*INSTALLED_APPS, "bench.naive"]
ROOT_URLCONF = "bench.urls"
KOLSHOP_PAYMENT_GATEWAY = "dummy"
KOLSHOP_API_CACHE_SECONDS = 300
# Every bench request comes from one address: per-client abuse limits would measure 429s instead.
KOLSHOP_RATE_LIMITS = {scope: "off" for scope in KOLSHOP_RATE_LIMITS}  # noqa: F405
KOLSHOP_MAX_RESERVED_UNITS_PER_CLIENT = 1_000_000

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'bench.sqlite3'}")
}
# The clicks bench's app processes (DATABASE_POOL=1) take connections from a pool per process, as production's.
if env.get_bool("DATABASE_POOL", False):
    env.pool_connections(DATABASES)
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Background work as production queues it (settings.production): a request enqueues a task (one
# INSERT) and the worker does it. The immediate backend would count an order e-mail's rendering and
# sending in the buy flow's statements and CPU.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
