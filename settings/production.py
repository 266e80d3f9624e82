"""Production: every secret and endpoint comes from the environment (see .env.example)."""

import dj_database_url

from settings import env
from settings.base import *  # noqa: F401,F403
from settings.log_config import logging_config

DEBUG = False
SECRET_KEY = env.get_required("DJANGO_SECRET_KEY")
# Who a buyer is for per-buyer limits (shop.services.buyer_identity): set it once and never rotate it;
# without it the secret key is used, so rotating DJANGO_SECRET_KEY would detach past orders from buyers.
BUYER_IDENTITY_KEY = env.get_str("BUYER_IDENTITY_KEY") or SECRET_KEY
ALLOWED_HOSTS = env.get_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.get_list("DJANGO_CSRF_TRUSTED_ORIGINS")

DATABASES = {
    "default": dj_database_url.parse(
        env.get_required("DATABASE_URL"),
        conn_max_age=env.get_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DATABASES.update(env.replica_database(env.get_str("DATABASE_REPLICA_URL") or ""))  # reports only
# The web process is ASGI: each request runs in its own thread, so per-thread persistent connections
# would be opened per request. PostgreSQL connections come from a pool per process instead
# (psycopg_pool; DATABASE_POOL=0 turns it off, e.g. behind PgBouncer in transaction mode).
if env.get_bool("DATABASE_POOL", True):
    env.pool_connections(DATABASES)

# Several app processes must share one cache (a stock change seen by one invalidates everyone's
# cached JSON): production requires CACHE_URL (redis://host:6379/0).
CACHES = env.cache_settings(env.get_required("CACHE_URL"))

# Rate limits count in the same shared cache; django_ratelimit's system check also refuses a
# per-process cache, should CACHES ever be set another way.
INSTALLED_APPS = [*INSTALLED_APPS, "django_ratelimit"]  # noqa: F405
# The cache backend is django-redis's, subclassed to absorb outages (operations.cache_guard.RedisCache): a
# supported backend under another name (E003 still refuses per-process and fake caches).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
# Production runs behind one TLS proxy (see SECURE_PROXY_SSL_HEADER) on loopback or a private network.
KOLSHOP_TRUSTED_PROXY_COUNT = env.get_int("KOLSHOP_TRUSTED_PROXY_COUNT", 1)
KOLSHOP_TRUSTED_PROXIES = env.get_list(
    "KOLSHOP_TRUSTED_PROXIES", "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Media: S3 (or any S3-compatible store) when a bucket is named ------------------------
AWS_STORAGE_BUCKET_NAME = env.get_str("AWS_STORAGE_BUCKET_NAME") or ""
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_REGION_NAME = env.get_str("AWS_S3_REGION_NAME") or None
    AWS_S3_ENDPOINT_URL = env.get_str("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_CUSTOM_DOMAIN = env.get_str("AWS_S3_CUSTOM_DOMAIN") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = env.get_bool("AWS_QUERYSTRING_AUTH", False)
    AWS_S3_FILE_OVERWRITE = False
    # Presigned URLs (video uploads, private playback) are SigV4 only; many S3-compatible
    # stores (MinIO, Ceph) need path-style addressing: AWS_S3_ADDRESSING_STYLE=path.
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_S3_ADDRESSING_STYLE = env.get_str("AWS_S3_ADDRESSING_STYLE") or None
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}  # noqa: F405
else:
    MEDIA_ROOT = env.get_str("MEDIA_ROOT") or MEDIA_ROOT  # noqa: F405

STATIC_ROOT = env.get_str("STATIC_ROOT") or STATIC_ROOT  # noqa: F405
# Static files are served by the app itself (WhiteNoise: compressed, far-future cache headers for
# hashed names), so a CDN in front needs no separate origin.
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
MIDDLEWARE.insert(  # noqa: F405
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,  # noqa: F405
    "whitenoise.middleware.WhiteNoiseMiddleware",
)

WAGTAILADMIN_BASE_URL = env.get_required("WAGTAILADMIN_BASE_URL")

KOLSHOP_PAYMENT_GATEWAY = env.get_str("KOLSHOP_PAYMENT_GATEWAY") or "stripe"

LOGGING = logging_config(level=env.get_str("LOG_LEVEL") or "INFO", json=(env.get_str("LOG_FORMAT") or "json") == "json")

# Optional error tracking: errors and their stack traces, never request bodies, cookies or users.
SENTRY_DSN = env.get_str("SENTRY_DSN") or ""
if SENTRY_DSN:
    import sentry_sdk

    from operations.error_reports import sentry_options

    sentry_sdk.init(**sentry_options(dsn=SENTRY_DSN, environment=env.get_str("SENTRY_ENVIRONMENT") or "production"))

EMAIL_BACKEND = env.get_str("EMAIL_BACKEND") or "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL") or "kolshop@localhost"

# --- Transport security (manage.py check --deploy passes with these) ----------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.get_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env.get_bool("SECURE_COOKIES", True)  # only `make serve` on loopback turns it off
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views set SAMEORIGIN for themselves
