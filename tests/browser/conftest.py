"""The real app over HTTP on the sample data, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need, serve

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_url(read_app) -> Iterator[str]:
    """The app served by a real threaded HTTP server on a free loopback port."""
    with serve(read_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need(CHROMIUM.exists(), f"{CHROMIUM} is not installed (scripts/bootstrap --test)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        need(False, "the playwright package is not installed")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
    except Error as exc:
        playwright.stop()
        need(False, f"Chromium cannot start: {exc}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def open_page(browser, live_url: str) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh browser context; keyword arguments configure the context
    (viewport, java_script_enabled, ...), so each test states the device it needs."""
    contexts = []

    def opener(path: str = "/", **options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=live_url, locale="id-ID", **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    yield opener
    for context in contexts:
        context.close()
