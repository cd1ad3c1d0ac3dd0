"""LINE Login in a real browser: the owner sets the workspace's LINE Login channel in the settings (a wrong id is
refused at its field, the callback URLs are there to copy), then a friend opens an inflow route's URL, logs in
on the emulator's LINE page and lands on the route's page, and the route's tag is theirs. Screenshots are kept
in ``test-artifacts/``."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select

from enishi import Friend
from tests.line.emulator.test_simulator_browser import Shop
from tests.ui.test_settings_browser import field, get, open_settings, settings_link, shot

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)


async def friend_of(shop: Shop, line_user_id: str) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        async with shop.env.db.session(shop.workspace.id) as s:
            found = await s.scalar(select(Friend.id).where(Friend.line_user_id == line_user_id))
        if found is not None:
            return int(found)
        await asyncio.sleep(0.05)
    raise AssertionError("the follow did not make a friend")


async def test_owner_sets_line_login_and_a_friend_logs_in_through_a_route(page: Page, shop: Shop) -> None:
    await open_settings(page, shop, "基本設定・LINE")
    login_id = page.get_by_label("ログインチャネルのID")
    await login_id.fill("12345")
    await page.get_by_label("ログインチャネルのシークレット").fill(secrets.token_hex(16))
    await page.get_by_role("button", name="保存").click()
    await expect(field(page, "login_channel_id").locator(".field-error")).to_contain_text("10")
    await login_id.fill("2000000777")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_text("保存しました")).to_be_visible()
    assert (await get(shop, ""))["workspace"]["line_login_channel_id"] == "2000000777"
    await expect(page.get_by_label("ログインチャネルのシークレット")).to_have_value("")  # never shown back
    public = shop.env.settings.public_url
    # One per enabled plugin that signs LINE users in, named by the plugin's title (their manifests say where).
    await expect(page.get_by_label("コールバックURL（流入経路分析）")).to_have_value(f"{public}/p/inflow/login")
    await expect(page.get_by_label("コールバックURL（会員証）")).to_have_value(f"{public}/p/member_cards/login")
    await shot(page, "line-login")

    # A route that tags whoever comes in through it.
    tag = await shop.staff.post(f"{shop.api}/tags", json={"name": "チラシ経由"})
    route = await shop.staff.post(
        f"{shop.api}/inflow/routes",
        json={"name": "春のチラシ", "actions": [{"type": "tags.add_tag", "config": {"tag_ids": [tag.json()["id"]]}}]},
    )
    assert route.status_code == 201, route.text
    await settings_link(page, "流入経路").click()

    # A friend opens the route's URL (as from the QR code) and logs in with LINE. The emulator's consent page, where
    # the simulated friend is picked, is for the workspace's signed-in staff (this page signed in above); a
    # browser that has not signed in is sent to sign in first.
    hanako = shop.emulator.add_user(shop.workspace.line_channel_id, "山田 花子")
    await shop.emulator.follow(shop.workspace.line_channel_id, hanako.user_id)
    hanako_id = await friend_of(shop, hanako.user_id)
    assert page.context.browser is not None
    stranger = await page.context.browser.new_context()
    try:
        elsewhere = await stranger.new_page()
        await elsewhere.goto(route.json()["url"])
        await expect(elsewhere.get_by_role("button", name="ログイン")).to_be_visible()
        assert elsewhere.url.endswith("/login")
    finally:
        await stranger.close()
    await page.goto(route.json()["url"])
    await expect(page.get_by_role("heading", name="LINEでログイン (エミュレーター)")).to_be_visible()
    await page.get_by_label("ユーザー / user").select_option(label="山田 花子 (following)")
    await page.screenshot(path=shot_path("line-login-consent"), full_page=True)
    await page.get_by_role("button", name="許可する / Allow").click()
    # The route's page is the shop's: its name, never the route's internal name.
    await expect(page.get_by_role("heading", name=shop.workspace.name)).to_be_visible()
    await expect(page.get_by_text("春のチラシ")).to_have_count(0)
    await expect(page.locator("#welcome")).to_be_visible()
    await page.screenshot(path=shot_path("line-login-route-page"), full_page=True)
    tags = await get(shop, f"/tags/friends/{hanako_id}")
    assert [t["tag_id"] for t in tags] == [tag.json()["id"]]


def shot_path(name: str) -> str:
    from tests.ui.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / f"settings-{name}.png")
