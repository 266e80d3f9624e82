"""Test settings: SQLite by default, PostgreSQL when DATABASE_URL is set (CI runs both)."""

import tempfile
from pathlib import Path

from settings.base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "kolshop-test-secret-key-not-for-production"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="kolshop-test-media-"))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="kolshop-test-static-"))
WAGTAILADMIN_BASE_URL = "http://testserver"
