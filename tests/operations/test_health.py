"""Load-balancer probes: /healthz says the process answers, /readyz that its services do."""

import json

import pytest

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


def test_a_broken_cache_makes_the_node_unready_without_saying_why(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    response = client.get("/readyz/")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "unavailable", "storage": "ok", "task_queue": "ok"},
    }


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
