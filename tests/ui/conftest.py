"""Fixtures for the builder UI in a real browser: Debian's Chromium driven by Playwright (as for the simulator
page), against the app in embedded mode on a live server, serving the built UI.

Without ``chromium`` on PATH, or without a build of ``builder_ui``, these tests skip (and fail under CI=true).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Error, Page

from enishi.app import UI_DIST
from tests.conftest import Env, unavailable
from tests.line.emulator.test_simulator_browser import OUTSIDE, _outside, browser, shop
from tests.line.test_inbox import live

__all__ = ["browser", "live", "shop"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def built_ui() -> Path:
    if not (UI_DIST / "index.html").is_file():
        unavailable("The built builder UI (cd builder_ui && npm ci && npm run build)")
    return UI_DIST


@pytest.fixture
async def page(browser: Browser, live: Env, built_ui: Path, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A fresh profile per test at 1280×800; a screenshot is kept afterwards and the page must not have thrown."""
    context = await browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 800}, accept_downloads=True
    )
    await context.route(OUTSIDE, _outside)
    new_page = await context.new_page()
    thrown: list[Error] = []
    new_page.on("pageerror", lambda error: thrown.append(error))
    try:
        yield new_page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.originalname)
        await new_page.screenshot(path=ARTIFACTS / f"builder-{name}.png")
        await context.close()
    assert not thrown, f"the page threw: {thrown}"
