"""The Content-Security-Policy breaks nothing: the Wagtail editor and the reader's checkout and Stripe
payment page run with no violation in the browser console."""

import re

import pytest

from tests.browser.test_authoring import log_in
from tests.factories import make_creator, make_product, make_user, storefront_of
from tests.shop.conftest import localstripe_url, stripe_settings  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

# Stands in for https://js.stripe.com/v3/ (no network in tests): mounts a frame from js.stripe.com,
# so both script-src and frame-src are exercised.
STRIPE_STUB = """
window.Stripe = function () {
  return {
    elements: function () {
      return {create: function () {
        return {mount: function (selector) {
          var frame = document.createElement("iframe");
          frame.src = "https://js.stripe.com/v3/elements-inner-stub.html";
          frame.title = "Secure payment input frame";
          document.querySelector(selector).appendChild(frame);
        }};
      }};
    },
    confirmPayment: function () { return Promise.resolve({}); }
  };
};
"""


def watch_csp(page) -> list[str]:
    """Console messages about the Content Security Policy (Chromium logs every violation there)."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


def stub_stripe(page) -> None:
    def fulfil(route):
        if route.request.url.endswith(".js") or route.request.url.rstrip("/").endswith("/v3"):
            route.fulfill(status=200, content_type="application/javascript", body=STRIPE_STUB)
        else:
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><p>card</p>")

    page.route(re.compile(r"^https://js\.stripe\.com/.*"), fulfil)


def test_the_page_editor_and_a_chooser_run_under_the_policy(page, live_server):
    make_product(title="Studio Monitor Pair", variants=[("MON-77", "499.00", 8)])
    storefront = storefront_of(make_creator("mia"))
    make_user("root", password="root-pass", is_superuser=True, is_staff=True)
    violations = watch_csp(page)

    log_in(page, live_server, "root", "root-pass")
    page.goto(f"{live_server.url}/admin/pages/add/content/buyingguidepage/{storefront.pk}/")
    page.locator("#id_title").fill("Monitors I trust")
    page.locator("button[title='Insert a block']").first.click()
    page.get_by_role("option", name="Product card").click()
    page.locator("[data-contentpath='product'] button", has_text="Choose product").click()
    page.locator(".modal-content input[name=q]").fill("MON-77")
    page.locator(".modal-content a[data-chooser-modal-choice]", has_text="Studio Monitor Pair").wait_for()
    page.goto(f"{live_server.url}/admin/snippets/")
    page.wait_for_load_state("networkidle")

    assert violations == []


def test_the_reader_checkout_and_stripe_payment_page_run_under_the_policy(page, live_server, stripe_settings):
    make_product(title="Field Speaker", variants=[("FS-1", "80.00", 5)])
    stub_stripe(page)
    violations = watch_csp(page)

    page.goto(f"{live_server.url}/buy/FS-1/")
    page.get_by_role("link", name="Go to checkout").click()
    page.get_by_label("Email").fill("reader@example.com")
    page.get_by_label("Pick up in store").check()
    page.get_by_role("button", name=re.compile("Continue to payment")).click()
    page.wait_for_url(re.compile(r"/orders/KS-"))
    frame = page.locator("#payment-element iframe[title='Secure payment input frame']")
    frame.wait_for()
    page.wait_for_load_state("networkidle")

    assert frame.get_attribute("src") == "https://js.stripe.com/v3/elements-inner-stub.html"
    assert violations == []
