"""The inbox (1:1チャット) in a real browser, beside the LINE simulator page.

A simulated user writes in the simulator and the message appears in the open inbox without reloading; the
staff member's replies from the inbox (a text, a 定型文, a picture from the media library) reach the simulator;
the friend's mark and assignee are changed beside the thread and the conversation list is filtered by them.
Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.async_api import Locator, Page, Route, expect

from enishi.models import User
from enishi.tenancy.workspaces import add_member
from tests.line.emulator.test_simulator_browser import Shop, add_friend, bot_says, open_simulator, send_text
from tests.ui.antd import choose, chosen
from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=15_000)
OWNER = "owner@shop.example"
MEDIA_URL = "https://media.shop.example"


async def make_staff(shop: Shop) -> None:
    """The owner also works in the workspace's inbox, so friends can be assigned to them."""
    async with shop.env.db.transaction() as s:
        owner = (await s.execute(User.__table__.select().where(User.email == OWNER))).one()
        workspace = await s.merge(shop.workspace)
        await add_member(s, workspace, await s.get_one(User, owner.id), "owner")


async def serve_media_over_https(page: Page, shop: Shop) -> None:
    """The media library's files at an https address (as LINE requires), answered by this app."""
    shop.env.settings.extra["ENISHI_MEDIA_PUBLIC_URL"] = MEDIA_URL

    async def from_app(route: Route) -> None:
        local = route.request.url.replace(MEDIA_URL, shop.env.settings.public_url + "/media", 1)
        await route.fulfill(response=await route.fetch(url=local))

    await page.context.route(f"{MEDIA_URL}/**", from_app)


async def open_inbox(page: Page, shop: Shop) -> None:
    from tests.conftest import PASSWORD

    await page.goto(shop.env.settings.public_url + "/")
    await page.get_by_label("メールアドレス").fill(OWNER)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()
    await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="1:1チャット").click()
    await expect(page.get_by_role("list", name="会話")).to_be_visible()


def conversation(page: Page, name: str) -> Locator:
    return page.get_by_role("list", name="会話").get_by_role("button", name=re.compile(name))


async def test_messages_appear_live_replies_reach_the_user_and_filters_work(page: Page, shop: Shop) -> None:
    await make_staff(shop)
    await open_inbox(page, shop)
    await expect(page.get_by_text("該当する会話はありません")).to_be_visible()

    # A LINE user adds the account and writes, in the simulator page next to the open inbox.
    simulator = await page.context.new_page()
    await open_simulator(simulator, shop)
    hanako = await add_friend(simulator, shop, "花子")
    await send_text(simulator, "予約できますか？")

    # The conversation shows up without reloading, with one unread message.
    item = conversation(page, "花子")
    await expect(item).to_be_visible()
    await expect(item.get_by_label("未読 1件")).to_be_visible()
    await expect(item).to_contain_text("予約できますか？")
    await item.click()
    await expect(page).to_have_url(re.compile(rf"/inbox/{hanako['id']}$"))
    thread = page.get_by_role("list", name="メッセージ")
    await expect(thread.get_by_text("予約できますか？")).to_be_visible()
    await expect(item.get_by_label("未読 1件")).to_be_hidden()  # being read
    link = page.get_by_role("link", name="友だちページを開く")
    await expect(link).to_have_attribute("href", f"/w/{shop.workspace.id}/friends/{hanako['id']}")

    # While the thread is open, her next message comes in live.
    await send_text(simulator, "14時は空いていますか")
    await expect(thread.get_by_text("14時は空いていますか")).to_be_visible()

    # A reply from the inbox is queued, sent, and reaches her in the simulator.
    await page.get_by_label("返信").fill("14時で承ります！")
    await page.get_by_role("button", name="送信", exact=True).click()
    sent = thread.locator("li.chat-out").filter(has_text="14時で承ります！")
    await expect(sent).to_be_visible()
    await expect(sent.get_by_text("送信済み")).to_be_visible()
    await expect(page.get_by_label("返信")).to_have_value("")
    await expect(bot_says(simulator).last).to_contain_text("14時で承ります！")
    await page.screenshot(path=ARTIFACTS / "inbox-thread.png")

    # A saved message (定型文) goes out from the reply box as it is.
    made = await shop.staff.post(
        f"{shop.api}/messages/templates",
        json={"name": "来店のお礼", "messages": [{"type": "text", "text": "ご来店ありがとうございました"}]},
    )
    assert made.status_code == 201, made.text
    await page.get_by_role("button", name="定型文").click()
    await choose(page, page.get_by_role("combobox", name="定型文"), "来店のお礼")
    await page.get_by_role("button", name="この内容で送信").click()
    thanks = thread.locator("li.chat-out").filter(has_text="ご来店ありがとうございました")
    await expect(thanks.get_by_text("送信済み")).to_be_visible()
    await expect(bot_says(simulator).last).to_contain_text("ご来店ありがとうございました")

    # A picture from the media library goes with a text. LINE fetches media only over https: the library's files
    # are given an https address, which the browser reaches at this app.
    await serve_media_over_https(page, shop)
    png = io.BytesIO()
    Image.new("RGB", (640, 480), (230, 120, 60)).save(png, "PNG")
    uploaded = await shop.staff.post(f"{shop.api}/media", files={"file": ("クーポン.png", png.getvalue(), "image/png")})
    assert uploaded.status_code == 201, uploaded.text
    await page.get_by_role("button", name="画像", exact=True).click()
    await page.get_by_role("dialog").get_by_role("button", name="クーポン.png を選ぶ").click()
    await expect(page.get_by_role("dialog")).to_be_hidden()
    await expect(page.get_by_role("group", name="添付する画像")).to_be_visible()
    await page.get_by_label("返信").fill("今週のクーポンです")
    # (The button's spinner of the last send may still be fading out: it is then named with it.)
    await page.get_by_role("button", name=re.compile(r"(^|\s)送信$")).click()
    picture = thread.locator("li.chat-out").get_by_role("img", name="画像").last
    await expect(picture).to_be_visible()
    await expect(picture).to_have_js_property("complete", True)
    assert await picture.evaluate("img => img.naturalWidth") > 0  # the preview, served by the library
    await expect(page.get_by_role("group", name="添付する画像")).to_be_hidden()
    await expect(bot_says(simulator).last.get_by_role("img")).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "inbox-reply-template-image.png")

    # Her mark and assignee are changed beside the thread.
    side = page.get_by_role("complementary", name="友だち")
    # (Each is its plugin's friend panel, a region named as its select.)
    await choose(page, side.get_by_role("combobox", name="対応マーク"), "対応済")
    await expect(side.get_by_role("status")).to_have_text("変更しました")
    await expect(chosen(side.get_by_role("combobox", name="対応マーク"))).to_have_text("対応済")
    await choose(page, side.get_by_role("combobox", name="担当者"), "スタッフ")
    await expect(chosen(side.get_by_role("combobox", name="担当者"))).to_have_text("スタッフ")

    # Another user writes; the list now holds both, newest first.
    simulator2 = await page.context.new_page()
    await open_simulator(simulator2, shop)
    await add_friend(simulator2, shop, "太郎")
    await send_text(simulator2, "営業時間を教えてください")
    taro = conversation(page, "太郎")
    await expect(taro.get_by_label("未読 1件")).to_be_visible()
    names = page.get_by_role("list", name="会話").locator(".name")
    await expect(names).to_have_text(["太郎", "花子"])

    filters = page.get_by_role("group", name="絞り込み")
    mark_filter = filters.get_by_role("combobox", name="対応マーク")
    assignee_filter = filters.get_by_role("combobox", name="担当者")
    await choose(page, mark_filter, "対応済")
    await expect(names).to_have_text(["花子"])
    await choose(page, mark_filter, "すべて")
    await choose(page, assignee_filter, "自分")
    await expect(names).to_have_text(["花子"])
    await choose(page, assignee_filter, "未割り当て")
    await expect(names).to_have_text(["太郎"])
    await choose(page, assignee_filter, "すべて")
    await filters.get_by_label("未読のみ").check()
    await expect(names).to_have_text(["太郎"])
    await page.screenshot(path=ARTIFACTS / "inbox-filtered.png")
    await filters.get_by_label("未読のみ").uncheck()

    # With 太郎's conversation open, 花子 writes again: she moves to the top, unread.
    await taro.click()
    await expect(page.get_by_role("list", name="メッセージ").get_by_text("営業時間を教えてください")).to_be_visible()
    await send_text(simulator, "よろしくお願いします")
    await expect(conversation(page, "花子").get_by_label("未読 1件")).to_be_visible()
    await expect(names).to_have_text(["花子", "太郎"])

    # On a tablet the friend's controls move under the thread; the reply box stays in reach.
    await page.set_viewport_size({"width": 820, "height": 1180})
    await expect(page.get_by_label("返信")).to_be_in_viewport()
    side = page.get_by_role("complementary", name="友だち")
    await expect(side.get_by_role("combobox", name="担当者")).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "inbox-tablet.png")
