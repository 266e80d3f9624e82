"""Smoke test of `make serve` over HTTP (CI runs it through `SERVE_SMOKE=1 make serve`).

Buys through the commerce API, delivers a signed Stripe webhook, sees the order paid, and waits for
the scheduler to enqueue a periodic job that the task worker then runs. Exits non-zero on failure.
"""

import hashlib
import hmac
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

import django
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, for django.setup()
BASE = sys.argv[1].rstrip("/")
TIMEOUT = 30


def check(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        sys.exit(1)


def catalog_sku() -> str:
    """A product to buy, made like staff would (the smoke runs on an empty production database)."""
    from shop.models import Brand, Product, Stock, Variant

    brand, _ = Brand.objects.get_or_create(slug="smoke", defaults={"name": "Smoke brand"})
    product, _ = Product.objects.get_or_create(
        slug="smoke-kettle", defaults={"title": "Smoke kettle", "brand": brand, "status": "active"})
    variant, _ = Variant.objects.get_or_create(
        sku="SMOKE-1", defaults={"product": product, "name": "Steel", "price": Decimal("25.00"), "currency": "USD"})
    Stock.objects.update_or_create(variant=variant, defaults={"on_hand": 100})
    return variant.sku


def signed(event: dict, secret: str) -> tuple[str, str]:
    payload = json.dumps(event)
    timestamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return payload, f"t={timestamp},v1={signature}"


def check_tracked_link(sku: str) -> None:
    """A follow of /r/<code>/ redirects at once and its click reaches the table through the click queue
    (Redis) and the `clicks` process."""
    from django.contrib.auth import get_user_model

    from creators.models import Click, CreatorProfile, TrackedLink
    from shop.models import Variant

    user, _ = get_user_model().objects.get_or_create(username="smoke-creator", defaults={"email": "kol@example.com"})
    creator, _ = CreatorProfile.objects.get_or_create(user=user, defaults={"display_name": "Smoke", "handle": "smoke"})
    product_id = Variant.objects.get(sku=sku).product_id
    link, _ = TrackedLink.objects.get_or_create(code="smoke-link", defaults={
        "creator": creator, "target_kind": "product", "product_id": product_id})
    before = Click.objects.filter(link=link).count()
    followed = requests.get(f"{BASE}/r/smoke-link/", allow_redirects=False, timeout=TIMEOUT,
                            headers={"User-Agent": f"Mozilla/5.0 (smoke {time.time()}) Chrome/120"})
    check(followed.status_code == 302 and f"/buy/{sku}/" in followed.headers["Location"], "a tracked link redirects")
    deadline = time.monotonic() + 30
    while Click.objects.filter(link=link).count() == before and time.monotonic() < deadline:
        time.sleep(0.5)
    check(Click.objects.filter(link=link).count() == before + 1, "its click was written by the clicks process")


def main() -> None:
    django.setup()
    from django_tasks_db.models import DBTaskResult

    from operations.models import ScheduledRun

    check(requests.get(f"{BASE}/healthz", timeout=TIMEOUT).json() == {"status": "ok"}, "liveness")
    check(requests.get(f"{BASE}/readyz", timeout=TIMEOUT).json()["status"] == "ok", "readiness")
    sku = catalog_sku()
    api = f"{BASE}/api/v1"
    token = requests.post(f"{api}/carts/", json={}, timeout=TIMEOUT).json()["token"]
    added = requests.post(f"{api}/carts/{token}/lines", json={"sku": sku, "quantity": 2}, timeout=TIMEOUT)
    check(added.status_code == 201, "add to cart")
    placed = requests.post(f"{api}/carts/{token}/checkout", json={"email": "smoke@example.com", "fulfilment": "pickup"},
                           timeout=TIMEOUT)
    check(placed.status_code == 201, f"checkout ({placed.status_code})")
    body = placed.json()
    number, secret = body["order"]["number"], body["order_secret"]
    intent_id = body["payment"]["client_secret"].split("_secret_")[0]
    check(intent_id.startswith("pi_"), "a Stripe payment intent")

    event = {"id": f"evt_smoke_{number}", "object": "event", "type": "payment_intent.succeeded",
             "created": int(time.time()),
             "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": 5000, "currency": "usd"}}}
    payload, header = signed(event, os.environ["STRIPE_WEBHOOK_SECRET"])
    delivered = requests.post(f"{BASE}/webhooks/stripe/", data=payload, timeout=TIMEOUT,
                              headers={"Content-Type": "application/json", "Stripe-Signature": header})
    check(delivered.status_code == 200, f"signed webhook accepted ({delivered.status_code})")
    order = requests.get(f"{api}/orders/{number}", headers={"X-Order-Secret": secret}, timeout=TIMEOUT).json()
    check(order["status"] == "paid", "order paid after the webhook")

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run = ScheduledRun.objects.filter(job="release_expired_reservations").order_by("-due_at").first()
        if run and run.task_result_id and DBTaskResult.objects.filter(pk=run.task_result_id, status="SUCCESSFUL").exists():
            break
        time.sleep(2)
    check(run is not None, "the scheduler enqueued a periodic job")
    check(DBTaskResult.objects.filter(pk=run.task_result_id, status="SUCCESSFUL").exists(),
          "the worker ran the scheduled task")
    check_tracked_link(sku)
    print("smoke test passed")


if __name__ == "__main__":
    main()
