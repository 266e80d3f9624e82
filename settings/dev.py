"""Local development and `make demo`: SQLite, local files under var/, dummy payments."""

from settings.base import *  # noqa: F401,F403
from settings.base import VAR_DIR
from settings import env

DEBUG = True
KOLSHOP_WRITE_BATCH_CHECKS = True  # shop.services.write_batches: a statement touching a pending write's table raises
SECRET_KEY = "django-insecure-kolshop-dev-only-key-never-use-in-production"
# `make demo HOST=… PORT=…` passes both: the admin's links, the Site record (load_demo), previews and
# e-mailed order links all use this address unless WAGTAILADMIN_BASE_URL / KOLSHOP_SITE_URL say otherwise.
DEMO_HOST = env.get_str("HOST") or "127.0.0.1"
DEMO_PORT = env.get_int("PORT", 8000)
WAGTAILADMIN_BASE_URL = env.get_str("WAGTAILADMIN_BASE_URL") or f"http://{DEMO_HOST}:{DEMO_PORT}"
KOLSHOP_SITE_URL = env.get_str("KOLSHOP_SITE_URL") or WAGTAILADMIN_BASE_URL
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", DEMO_HOST]
EMAIL_BACKEND = env.get_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"

VAR_DIR.mkdir(parents=True, exist_ok=True)
