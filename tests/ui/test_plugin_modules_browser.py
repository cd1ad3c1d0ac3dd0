"""Plugins' console modules in a real browser, with the member cards plugin's as the example.

The plugin's module (``plugins/enishi_member_cards/ui``, built into ``ui/dist/module.js`` by the console's build)
is imported from ``/ui/plugins/member_cards/<digest>.js`` and takes React and the console's kit from
``/ui/shared/*.js``: its panel shows a friend's card on the friend's page, its settings page edits the card
design, and once the plugin is switched off in the workspace the panel is gone. A module written by hand against
the shims runs its menu section on the console's React; a module that is not served, throws or was built for
another slot API is left out with a notice while the console works. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

from typing import Any

import pytest
from enishi_member_cards import UI_MODULE
from playwright.async_api import Page, Route, expect

from tests.conftest import unavailable
from tests.line.emulator.test_simulator_browser import Shop
from tests.ui.conftest import ARTIFACTS
from tests.ui.test_friends_browser import follower, log_in

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)


async def test_the_member_cards_module_fills_the_friends_page_and_the_settings(page: Page, shop: Shop) -> None:
    if not UI_MODULE.is_file():
        unavailable("The member cards plugin's console module (cd builder_ui && npm run build)")
    _, hanako = await follower(shop, "花子")
    issued = await shop.staff.post(f"{shop.api}/member_cards/cards", json={"friend_id": hanako["id"]})
    assert issued.status_code == 200, issued.text
    card = issued.json()["card"]
    added = await shop.staff.post(f"{shop.api}/member_cards/points", json={"friend_id": hanako["id"], "delta": 120})
    assert added.status_code == 200, added.text
    loaded: list[str] = []
    page.on("response", lambda response: loaded.append(response.url) if "/ui/" in response.url else None)

    await log_in(page, shop)
    await page.get_by_role("link", name="花子").click()
    panel = page.get_by_role("region", name="会員証")
    await expect(panel).to_contain_text(card["member_number"])
    # (antd's Descriptions: each value beside its label)
    values = panel.locator(".ant-descriptions-item-content")
    await expect(values.nth(1)).to_have_text("120")
    await expect(values.nth(3)).to_have_text("シルバー")
    # The card's field source is not shown a second time in the generic block.
    await expect(page.get_by_role("region", name="会員証")).to_have_count(1)
    assert any("/ui/plugins/member_cards/" in url for url in loaded), loaded
    assert any(url.endswith("/ui/shared/react.js") for url in loaded), loaded
    await expect(page.locator(".plugin-problems")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "plugin-module-friend-card.png")

    # The card design is the module's settings page (the console has no copy of its own any more).
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/settings/member_card")
    await expect(page.get_by_role("heading", name="会員証のデザイン")).to_be_visible()
    await page.get_by_label("会員番号の接頭辞").fill("EN-")
    await page.get_by_label("番号の桁数").fill("6")
    await expect(page.get_by_text("次の会員番号: EN-000002")).to_be_visible()
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_text("保存しました")).to_be_visible()
    design = (await shop.staff.get(f"{shop.api}/member_cards/design")).json()
    assert (design["number_prefix"], design["number_digits"]) == ("EN-", 6)

    # Switched off in the workspace, the plugin contributes nothing there.
    off = await shop.staff.put(f"{shop.api}/plugins/member_cards", json={"enabled": False})
    assert off.status_code == 200, off.text
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/friends/{hanako['id']}")
    await expect(page.get_by_role("heading", name="花子")).to_be_visible()
    await expect(page.get_by_role("region", name="会員証")).to_have_count(0)


# A module written by hand against the shims: a section in the main menu whose state lives in the console's React
# (a second copy of React would make useState throw), with strings under the plugin's namespace.
HAND_WRITTEN = """
import { jsx } from "/ui/shared/react-jsx-runtime.js";
import { useState } from "/ui/shared/react.js";
import { useTranslation } from "/ui/shared/react-i18next.js";
import { consoleUrl } from "/ui/shared/plugin-ui.js";
export const version = 1;
function Points({ workspaceId, rest }) {
  const [count, setCount] = useState(0);
  const { t } = useTranslation("member_cards");
  return jsx("button", {
    type: "button",
    "data-href": consoleUrl(workspaceId, "points", ...rest),
    onClick: () => setCount(count + 1),
    children: t("clicked", { count, rest: rest.join("/") }),
  });
}
export default function register(ui) {
  ui.locales({
    ja: { clicked: "{{rest}} を {{count}} 回押しました" },
    en: { clicked: "{{rest}} clicked {{count}} times" },
  });
  ui.menuSection({ key: "points", title: { ja: "ポイント", en: "Points" }, component: Points });
}
"""


async def test_a_modules_menu_section_runs_on_the_consoles_react(page: Page, shop: Shop) -> None:
    async def serve(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/javascript", body=HAND_WRITTEN)

    await page.route("**/ui/plugins/member_cards/*.js", serve)
    await log_in(page, shop)
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/points/a/b")
    button = page.get_by_role("button", name="a/b を 0 回押しました")
    await expect(button).to_be_visible()
    await button.click()
    clicked = page.get_by_role("button", name="a/b を 1 回押しました")
    await expect(clicked).to_have_attribute("data-href", f"/w/{shop.workspace.id}/points/a/b")
    link = page.get_by_role("navigation").get_by_role("link", name="ポイント")
    await expect(link).to_have_attribute("aria-current", "page")
    await page.get_by_role("navigation").get_by_role("link", name="友だち", exact=True).click()
    await link.click()
    await expect(page.get_by_role("button", name="を 0 回押しました")).to_be_visible()


JS = "text/javascript"
LEFT_OUT = [
    pytest.param({"status": 500, "body": "no"}, "読み込めませんでした", id="not-served"),
    pytest.param(
        {"status": 200, "content_type": JS, "body": 'export default () => { throw new Error("boom"); }'},
        "読み込めませんでした",
        id="throws",
    ),
    pytest.param(
        {"status": 200, "content_type": JS, "body": "export const version = 2; export default () => {};"},
        "表示しません",
        id="other-version",
    ),
]


@pytest.mark.parametrize(("answer", "said"), LEFT_OUT)
async def test_a_module_left_out_is_said_plainly_and_the_console_works(
    page: Page, shop: Shop, answer: dict[str, Any], said: str
) -> None:
    async def serve(route: Route) -> None:
        await route.fulfill(**answer)

    await page.route("**/ui/plugins/member_cards/*.js", serve)
    await follower(shop, "花子")
    await log_in(page, shop)
    notice = page.locator(".plugin-problems")
    # Named by its title, never by the plugin's id.
    await expect(notice).to_contain_text("プラグイン「会員証」の画面")
    await expect(notice).not_to_contain_text("member_cards」")
    await expect(notice).to_contain_text(said)
    # The rest of the console works.
    await page.get_by_role("link", name="花子").click()
    await expect(page.get_by_role("heading", name="花子")).to_be_visible()
    await page.get_by_role("navigation").get_by_role("link", name="設定").click()
    await expect(page.get_by_role("heading", name="設定")).to_be_visible()
