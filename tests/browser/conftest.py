"""Browser tests: Playwright (PyPI) driving Debian's Chromium against pytest-django's live server.

Chromium comes from Debian's package (installed here when missing and we may, or by .ci/run);
Playwright never downloads a browser. A failing test leaves a screenshot in tests/artifacts/.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("KOLSHOP_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _install_chromium() -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, check=False, timeout=900)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if not CHROMIUM.exists():
        _install_chromium()
    if not CHROMIUM.exists():
        message = f"Debian's chromium is not installed at {CHROMIUM} and could not be installed."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API refuses to run while an asyncio loop is marked running in this thread;
    # Django's async-unsafe guard would also trip on ORM calls made from tests, so allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(autouse=True)
def _wagtail_data(wagtail_base_data):
    """Browser tests are transactional (the live server needs committed data)."""


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
