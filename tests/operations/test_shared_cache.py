"""Shared services: the production cache really round-trips through Redis, and two app processes
behind one load balancer see each other's stock changes in their next page-JSON response."""

import os
import sys
from pathlib import Path

import pytest
import requests
from django_redis.cache import RedisCache

from settings.env import cache_settings
from tests.support.servers import database_url, free_port, loopback_server

ROOT = Path(__file__).resolve().parents[2]


def test_the_cache_url_gives_a_working_redis_cache(redis_url, settings):
    from django.core.cache import caches

    settings.CACHES = cache_settings(redis_url)
    cache = caches.create_connection("default")

    cache.set("kolshop:probe", {"n": 1}, timeout=30)
    cache.set("kolshop:counter", 0, timeout=30)
    assert cache.get("kolshop:probe") == {"n": 1}
    assert cache.incr("kolshop:counter") == 1  # atomic in Redis: what rate limits count with
    assert isinstance(cache, RedisCache)  # django-redis's, absorbing outages outside operations.cache_guard
    cache.delete_many(["kolshop:probe", "kolshop:counter"])


def _app_process(port: int, redis_url: str, tmp_path: Path, name: str):
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env.update({"DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url(), "CACHE_URL": redis_url,
                "KOLSHOP_PAYMENT_GATEWAY": "dummy"})
    argv = [sys.executable, "-m", "gunicorn", "settings.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--access-logfile", "-"]
    return loopback_server(argv, port=port, log_path=tmp_path / f"{name}.log", cwd=ROOT, seconds=30, env=env)


@pytest.mark.django_db(transaction=True)
def test_a_sale_through_one_app_process_shows_in_the_other_processes_cached_page(
    wagtail_base_data, redis_url, tmp_path
):
    from tests.factories import make_creator, make_guide, make_product, product_card

    product = make_product(variants=[("MP-1", "20.00", 2)])
    guide = make_guide(make_creator("pia"), body=[product_card(product)])
    port_a = free_port()
    port_b = next(port for port in iter(free_port, None) if port != port_a)
    server_a = _app_process(port_a, redis_url, tmp_path, "a")
    server_b = _app_process(port_b, redis_url, tmp_path, "b")
    headers = {"Host": "localhost"}
    page = f"/api/v2/pages/{guide.pk}/"

    with server_a as app_a, server_b as app_b:
        before = requests.get(app_b + page, headers=headers, timeout=30)
        cached = requests.get(app_b + page, headers=headers, timeout=30)
        created = requests.post(f"{app_a}/api/v1/carts/", json={}, headers=headers, timeout=30)
        assert created.status_code == 201, created.text
        token = created.json()["token"]
        added = requests.post(f"{app_a}/api/v1/carts/{token}/lines", json={"sku": "MP-1", "quantity": 2},
                              headers=headers, timeout=30)
        placed = requests.post(f"{app_a}/api/v1/carts/{token}/checkout",
                               json={"email": "ada@example.com", "fulfilment": "pickup"}, headers=headers, timeout=30)
        order = placed.json()
        paid = requests.post(f"{app_a}/api/v1/orders/{order['order']['number']}/pay",
                             headers={**headers, "X-Order-Secret": order["order_secret"]}, timeout=30)
        after = requests.get(app_b + page, headers=headers, timeout=30)

    offer = lambda response: response.json()["body"][0]["value"]  # noqa: E731
    assert before.status_code == cached.status_code == 200 and cached.headers["ETag"] == before.headers["ETag"]
    assert offer(before)["available"] is True
    assert (added.status_code, placed.status_code, paid.status_code) == (201, 201, 200)
    assert paid.json()["status"] == "paid"
    assert (offer(after)["available"], offer(after)["unavailable_reason"]) == (False, "sold_out")
