"""Production settings read everything from the environment and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-" + "y" * 20,
    "DJANGO_ALLOWED_HOSTS": "shop.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
    "DATABASE_URL": "postgres://kolshop:secret@db.internal:5432/kolshop",
    "CACHE_URL": "redis://cache.internal:6379/0",
    "AWS_STORAGE_BUCKET_NAME": "kolshop-media",
    "AWS_S3_REGION_NAME": "eu-west-1",
    "STRIPE_SECRET_KEY": "sk_live_placeholder",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_placeholder",
    "STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
    "WAGTAILADMIN_BASE_URL": "https://shop.example.com",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Nothing from the test process leaks in (e.g. DJANGO_ALLOW_ASYNC_UNSAFE set for Playwright).
    inherited = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH"}
    clean_env = {key: value for key, value in os.environ.items() if key in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean_env, **env}, capture_output=True, text=True,
        timeout=120,
    )


def test_check_deploy_passes_at_warning_level_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_uses_the_environment_for_database_s3_and_cache():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'],"
        " s.STORAGES['default']['BACKEND'], s.AWS_STORAGE_BUCKET_NAME, s.CACHES['default']['BACKEND'], s.DEBUG)"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql", "db.internal", "storages.backends.s3.S3Storage", "kolshop-media",
        "operations.cache_guard.RedisCache", "False",
    ]


def test_production_queues_clicks_and_publishes_through_a_redis_cache_url_when_redis_url_is_blank():
    """REDIS_URL defaults to a redis:// CACHE_URL (a second, later assignment used to blank it, so
    production wrote every click inline and kept live events in one process)."""
    code = "from django.conf import settings as s; print(s.REDIS_URL)"
    result = run_manage("shell", "--no-imports", "-c", code, env={**PRODUCTION_ENV, "REDIS_URL": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "redis://cache.internal:6379/0"


def test_production_without_a_shared_cache_fails_the_deploy_check():
    """Rate limits and cache invalidation live in the cache: a per-process cache would let each worker
    count alone and keep serving JSON another worker made stale. Production refuses to start without it."""
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "CACHE_URL"}
    result = run_manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "The environment variable CACHE_URL must be set." in result.stderr


def test_production_reads_the_client_address_from_its_proxy_only():
    code = (
        "from django.test import RequestFactory;"
        "from shop.services.client_identity import client_ip;"
        "f = RequestFactory();"
        "print(client_ip(f.get('/', REMOTE_ADDR='10.1.2.3', HTTP_X_FORWARDED_FOR='6.6.6.6, 198.51.100.7')),"
        " client_ip(f.get('/', REMOTE_ADDR='203.0.113.9', HTTP_X_FORWARDED_FOR='198.51.100.7')))"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["198.51.100.7", "203.0.113.9"]


def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("missing", ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_check_deploy_fails_when_stripe_is_selected_without_a_key(missing):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = run_manage("check", "--deploy", env={**env, "KOLSHOP_PAYMENT_GATEWAY": "stripe"})
    assert result.returncode == 1
    assert f"(shop.E002) {missing} must be set when KOLSHOP_PAYMENT_GATEWAY is 'stripe'." in result.stderr
    assert result.stderr.count("shop.E002") == 1


def test_check_deploy_passes_without_stripe_keys_when_the_dummy_gateway_is_selected():
    env = {key: value for key, value in PRODUCTION_ENV.items() if not key.startswith("STRIPE_")}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        env={**env, "KOLSHOP_PAYMENT_GATEWAY": "dummy"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_for_an_unknown_gateway():
    result = run_manage("check", "--deploy", env={**PRODUCTION_ENV, "KOLSHOP_PAYMENT_GATEWAY": "paypal"})
    assert result.returncode == 1
    assert "(shop.E001) KOLSHOP_PAYMENT_GATEWAY is 'paypal'; use 'dummy' or 'stripe'." in result.stderr
