"""Issue 16 item 7: the commerce API's interactive docs render offline, from vendored assets only."""

import pytest

from settings.api_docs import OPERATIONS

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_renders_every_operation_without_leaving_the_site(page, live_server):
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:") else None)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"{live_server.url}/api/v1/docs")

    page.locator(".swagger-ui .info .title", has_text="kolshop commerce API").wait_for()
    assert page.locator(".opblock").count() == len(OPERATIONS) == 36
    page.locator(".opblock-summary", has_text="/api/v1/carts/{token}/lines").first.click()
    # The opened operation shows the buy-link-to-cart flow (waits until Swagger UI has expanded it).
    page.locator(".opblock.is-open").get_by_text("From a block's buy link to a cart line").wait_for(timeout=10_000)
    assert outside == []
    assert [error for error in errors if "Content Security Policy" in error] == []
