"""Browser fixtures: Debian's Chromium driven by Playwright (no browser download), axe-core and screenshots.

Fixtures (used by every module in this folder):
    browser                                      session-scoped Chromium
    new_page(locale="en", javascript_enabled=True) -> Page   a fresh context on the devshop, in that storefront locale
    login(page, customer_id)                     act as a devshop customer (the devshop's /login/<id>)
    axe_violations(page, *, context=None) -> list   axe-core's serious and critical violations
    shot(page, name) -> Path                     a full-page screenshot in test-artifacts/screenshots/
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devshop.storefront import LOCALE_COOKIE

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BLOCKING_IMPACTS = ("serious", "critical")

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists() and shutil.which("chromium") is None:
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the session."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, devshop_server) -> Iterator[Callable[..., Any]]:
    """Factory: a page in a fresh browser context whose language and devshop storefront locale are `locale`."""
    contexts: list[Any] = []

    def make(locale: str = "en", javascript_enabled: bool = True) -> Any:
        context = browser.new_context(
            locale=locale,
            java_script_enabled=javascript_enabled,
            base_url=devshop_server.url,
            viewport={"width": 1024, "height": 900},
        )
        context.add_cookies([{"name": LOCALE_COOKIE, "value": locale, "url": devshop_server.url}])
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def login(devshop_server) -> Callable[[Any, int], None]:
    """Log the page's browser context in as a devshop customer, the way a person does on the devshop."""

    def log_in(page: Any, customer_id: int) -> None:
        response = page.goto(f"{devshop_server.url}/login/{customer_id}")
        assert response is not None and response.ok, f"devshop login as {customer_id} failed"

    return log_in


@pytest.fixture
def axe_violations() -> Callable[..., list[dict[str, Any]]]:
    """Run axe-core (npm package, injected into the page) and return its serious and critical violations."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci` (node_modules/axe-core)")

    def run(page: Any, *, context: Any = None) -> list[dict[str, Any]]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        results = page.evaluate(
            "async (context) => await axe.run(context || document, {resultTypes: ['violations']})", context
        )
        return [
            {
                "id": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "targets": [node["target"] for node in violation["nodes"]],
            }
            for violation in results["violations"]
            if violation["impact"] in BLOCKING_IMPACTS
        ]

    return run


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png (kept as a test artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
