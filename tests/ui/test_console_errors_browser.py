"""The console's main pages open without a single error in the browser's console: no failed request (a 4xx from a
lookup or preview fired with an empty id while a form is incomplete), no warning logged as an error, no favicon
missing. Each page is opened, and the forms that start empty are touched, with the console listened to."""

from __future__ import annotations

import pytest
from playwright.async_api import ConsoleMessage, Page, Request, Response, expect

from tests.conftest import PASSWORD
from tests.line.emulator.test_simulator_browser import Shop
from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)
OWNER = "owner@shop.example"


class Listened:
    """What the page said went wrong: console errors and requests of the app that failed."""

    def __init__(self, page: Page, base: str) -> None:
        self.errors: list[str] = []
        self.base = base
        page.on("console", self.console)
        page.on("response", self.response)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def response(self, response: Response) -> None:
        if response.url.startswith(self.base) and response.status >= 400:
            self.errors.append(f"{response.request.method} {response.url[len(self.base) :]} → {response.status}")

    def take(self) -> list[str]:
        found, self.errors = self.errors, []
        return found


async def test_the_main_pages_log_no_errors(page: Page, shop: Shop) -> None:
    base = shop.env.settings.public_url
    await page.goto(base + "/")
    await page.get_by_label("メールアドレス").fill(OWNER)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()
    # Listened to once signed in (the sign-in page's own session probe answers 401 by design).
    heard = Listened(page, base)
    # The favicon is the app's own.
    icon = await page.evaluate("document.querySelector('link[rel=icon]').href")
    answer = await page.request.get(icon)
    assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml") and "縁" in await answer.text()

    ws = f"/w/{shop.workspace.id}"
    found: dict[str, list[str]] = {}
    for path in (
        "/friends",
        "/inbox",
        "/scenarios",
        "/broadcasts",
        "/broadcasts/new",
        "/media",
        "/reports",
        "/settings/workspace",
        "/settings/plugins",
        "/settings/staff",
        "/settings/roles",
        "/settings/audit",
    ):
        await page.goto(base + ws + path)
        await expect(page.locator(".loading")).to_have_count(0)
        await page.wait_for_load_state("networkidle")
        found[path] = heard.take()
    await page.goto(base + "/agency")
    await expect(page.get_by_role("heading", name="代理店", exact=True)).to_be_visible()
    await page.wait_for_load_state("networkidle")
    found["/agency"] = heard.take()
    await page.screenshot(path=ARTIFACTS / "console-errors-last-page.png")
    failing = {path: errors for path, errors in found.items() if errors}
    assert not failing, "\n".join(f"{path}: {e}" for path, errors in failing.items() for e in errors)


async def test_a_half_written_broadcast_asks_the_server_nothing_until_it_is_written(page: Page, shop: Shop) -> None:
    """A new broadcast's message starts empty: neither the preview nor the estimate sends it (the server would refuse
    it, and the browser log an error); once written, both do, and nothing fails."""
    base = shop.env.settings.public_url
    await page.goto(base + "/")
    await page.get_by_label("メールアドレス").fill(OWNER)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()
    heard = Listened(page, base)
    sent: list[str] = []  # what the page asked the server about the messages (previews, estimates with them)

    def asked(request: Request) -> None:
        if request.method == "POST" and (
            request.url.endswith("/messages/preview") or '"messages"' in (request.post_data or "")
        ):
            sent.append(request.post_data or "")

    page.on("request", asked)
    await page.goto(f"{base}/w/{shop.workspace.id}/broadcasts/new")
    await expect(page.get_by_role("heading", name="新しい配信")).to_be_visible()
    await page.wait_for_load_state("networkidle")
    body = page.get_by_label("本文", exact=True)
    await body.fill("ご来店")
    await body.fill("   ")  # written, then emptied again
    await page.wait_for_timeout(1500)  # longer than the preview's and the estimate's settling delays
    await page.wait_for_load_state("networkidle")
    assert [s for s in sent if "ご来店" not in s] == [] and heard.take() == []
    await body.fill("冬のセールのお知らせです")
    await page.wait_for_timeout(1500)
    await page.wait_for_load_state("networkidle")
    assert any("冬のセールのお知らせです" in s for s in sent), sent  # written: the estimate counts them
    assert heard.take() == []
