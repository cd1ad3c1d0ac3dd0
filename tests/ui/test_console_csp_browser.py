"""The console in a real browser under its Content-Security-Policy: signing in, every page of the menu, the
scenario builder's node forms and a friend's picture in the inbox all work, and the browser reports nothing the
policy blocked. The page itself says it may not be framed and is not sniffed."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import ConsoleMessage, Page, expect

from tests.conftest import PASSWORD
from tests.line.emulator.test_simulator_browser import PICTURE, Shop
from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)
OWNER = "owner@shop.example"

RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


async def test_the_console_works_under_its_content_security_policy(page: Page, shop: Shop) -> None:
    console_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            console_errors.append(message.text)

    page.on("console", on_console)
    await page.context.add_init_script(RECORD_CSP_VIOLATIONS)
    # A friend who sent a picture, for the inbox.
    channel = shop.workspace.line_channel_id
    hanako = shop.emulator.add_user(channel, "花子")
    await shop.emulator.follow(channel, hanako.user_id)
    await shop.emulator.send_image(channel, hanako.user_id, PICTURE, "image/png")
    friend = await shop.friend_named("花子")

    document = await page.goto(shop.env.settings.public_url + "/")
    assert document is not None
    headers = await document.all_headers()
    csp = {d.strip().split(" ", 1)[0]: d.strip() for d in headers["content-security-policy"].split(";")}
    assert csp["script-src"].startswith("script-src 'self'") and "'unsafe-inline'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"

    await page.get_by_label("メールアドレス").fill(OWNER)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()

    # Every page of the menu opens.
    menu = page.get_by_role("navigation", name="メニュー")
    links = menu.get_by_role("link")
    names = [name.strip() for name in await links.all_inner_texts()]
    assert len(names) >= 5, names
    for name in names:
        await menu.get_by_role("link", name=name, exact=True).click()
        await expect(menu.get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")
        await page.wait_for_load_state("networkidle")

    # The inbox shows the friend's picture (fetched, then shown from a blob: URL).
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/inbox/{friend['id']}")
    await expect(page.locator("img.chat-image")).to_be_visible(timeout=20_000)
    assert await page.locator("img.chat-image").evaluate("img => img.complete && img.naturalWidth > 0")

    # The builder: a node's form (JSON Schema, validated as you type) takes a value.
    await menu.get_by_role("link", name="シナリオ").click()
    await page.get_by_label("新しいシナリオの名前").fill("CSP の確認")
    await page.get_by_role("button", name="作成").click()
    await expect(page.get_by_role("heading", name="CSP の確認")).to_be_visible()
    item = page.get_by_role("complementary", name="ノード").get_by_role("button", name="時間をおく", exact=True)
    await item.drag_to(page.locator(".react-flow__pane"), target_position={"x": 250, "y": 200})
    node = page.locator('.react-flow__node:has([data-node-type="core.wait_delay"])')
    await node.locator(".node-title").click()
    panel = page.get_by_role("region", name="ノード設定")
    await panel.get_by_label("分", exact=True).fill("5")
    await expect(node.locator(".node-summary")).to_have_text(re.compile("5分後"))

    await page.screenshot(path=ARTIFACTS / "console-under-csp.png")
    assert await page.evaluate("window.cspViolations") == []
    assert console_errors == []
