"""Local development and `make demo`: SQLite, local files under var/, dummy payments."""

from settings.base import *  # noqa: F401,F403
from settings.base import VAR_DIR
from settings import env

DEBUG = True
SECRET_KEY = "django-insecure-kolshop-dev-only-key-never-use-in-production"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = env.get_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"

VAR_DIR.mkdir(parents=True, exist_ok=True)
