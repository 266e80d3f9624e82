"""Load-balancer probes: /healthz says the process answers, /readyz that its services do."""

import json

import pytest

from tests.support.redis_server import restartable_redis  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def test_liveness_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readiness_checks_database_cache_storage_and_task_queue(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok", "task_queue": "ok"},
    }


def test_a_broken_cache_leaves_the_node_ready_but_degraded_without_saying_why(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    response = client.get("/readyz/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "degraded", "storage": "ok", "task_queue": "ok"},
    }


def test_a_stopped_redis_keeps_every_node_in_the_load_balancer_and_a_restarted_one_is_ok_again(
        client, restartable_redis, monkeypatch):
    from operations import cache_guard

    monkeypatch.setattr(cache_guard, "RETRY_SECONDS", 0)
    before = client.get("/readyz")
    restartable_redis.stop()
    during = client.get("/readyz")
    restartable_redis.start()
    after = client.get("/readyz")

    assert [before.status_code, during.status_code, after.status_code] == [200, 200, 200]
    assert [before.json()["status"], during.json()["status"], after.json()["status"]] == ["ok", "degraded", "ok"]
    assert during.json()["checks"] == {"database": "ok", "cache": "degraded", "storage": "ok", "task_queue": "ok"}


def test_a_broken_database_makes_the_node_unready_without_saying_why(client, monkeypatch):
    from operations import health

    def refused():
        raise OSError("connection to server at 10.0.0.5 refused")

    monkeypatch.setitem(health.READINESS_CHECKS, "database", refused)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "cache": "ok", "storage": "ok", "task_queue": "ok"},
    }
    assert "10.0.0.5" not in response.content.decode()


def test_probes_are_not_redirected_to_https_nor_refused_for_the_nodes_address(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["shop.example.com"]

    live = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")
    ready = client.get("/readyz", HTTP_HOST="10.0.3.7:8000")
    page = client.get("/", HTTP_HOST="shop.example.com")

    assert (live.status_code, ready.status_code) == (200, 200)
    assert page.status_code == 301 and page["Location"].startswith("https://")


def test_the_readiness_body_names_no_internals(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    body = json.dumps(client.get("/readyz").json())

    for internal in ("127.0.0.1", "localhost", "sqlite", "postgres", "redis", "Error", "Traceback"):
        assert internal not in body


def test_a_cache_that_hangs_answers_degraded_within_the_wait_not_after_its_socket_timeout(client, monkeypatch):
    import threading

    from operations import health

    hung, calls = threading.Event(), []

    def hanging_cache():  # a partitioned Redis: the call waits until its socket times out
        calls.append(1)
        hung.wait(30)

    monkeypatch.setitem(health.READINESS_CHECKS, "cache", hanging_cache)
    monkeypatch.setattr(health, "OPTIONAL_CHECK_SECONDS", 0.05)
    try:
        first, second = client.get("/readyz"), client.get("/readyz")
    finally:
        hung.set()

    assert [first.status_code, second.status_code] == [200, 200]
    assert first.json() == second.json() == {
        "status": "degraded", "checks": {"database": "ok", "cache": "degraded", "storage": "ok", "task_queue": "ok"}}
    assert calls == [1]  # the second probe waited on the check already running, not a second hung call
