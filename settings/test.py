"""Test settings: SQLite by default, PostgreSQL when DATABASE_URL is set (CI runs both)."""

import os
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
KOLSHOP_SITE_URL = "http://testserver"
KOLSHOP_WRITE_BATCH_CHECKS = True  # shop.services.write_batches: a statement touching a pending write's table raises

# SQLite: a file-backed test database, not the shared in-memory one. Live-server tests (browser,
# localstripe webhooks) then give the server thread its own connection instead of sharing the test
# thread's, which SQLite refuses to use from two threads at once ("cannot open savepoint").
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"kolshop-test-{os.getpid()}.sqlite3"),
    }
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30  # noqa: F405
    # Take the write lock when a transaction begins: two deferred transactions that both read and then
    # write (the test thread and the live server handling a fake-Stripe webhook) make SQLite answer
    # "database is locked" at once instead of waiting out the timeout.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"  # noqa: F405

# No click spool unless a test gives one (tests/creators/test_click_spool.py): never the worktree's var/. An app
# process a test starts (gunicorn) gets its spool from KOLSHOP_TEST_CLICK_SPOOL_DIR.
KOLSHOP_CLICK_SPOOL_DIR = os.environ.get("KOLSHOP_TEST_CLICK_SPOOL_DIR", "")
