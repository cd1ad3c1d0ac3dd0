"""The friend list and a friend's page in a real browser, as a shop's staff member uses them.

Filter friends by a tag through the segment builder and see the live count and the rows, keep the filter as a
tab, add a tag to everyone it finds as a bulk operation and watch its progress bar finish, open a friend's page
and see the tags, and reply in the chat: the simulated LINE user gets the message. Screenshots are kept in
``test-artifacts/``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.conftest import PASSWORD
from tests.line.emulator.test_simulator_browser import Shop
from tests.line.test_inbox import _until
from tests.ui.antd import choose, chosen
from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)
OWNER = "owner@shop.example"


async def log_in(page: Page, shop: Shop) -> None:
    await page.goto(shop.env.settings.public_url + "/")
    await page.get_by_label("メールアドレス").fill(OWNER)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()


async def tag_named(shop: Shop, name: str) -> int:
    response = await shop.staff.post(f"{shop.api}/tags", json={"name": name})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def follower(shop: Shop, name: str) -> tuple[str, dict[str, Any]]:
    """A LINE user of the emulator who adds the account (control API); their LINE id and the workspace's friend."""
    channel = f"/emulator/_control/channels/{shop.workspace.line_channel_id}"
    user = await shop.staff.post(f"{channel}/users", json={"displayName": name})
    assert user.status_code == 201, user.text
    user_id = user.json()["userId"]
    follow = await shop.staff.post(f"{channel}/users/{user_id}/follow")
    assert follow.status_code == 200, follow.text
    return user_id, await shop.friend_named(name)


async def tags_of(shop: Shop, friend: dict[str, Any]) -> set[str]:
    response = await shop.staff.get(f"{shop.api}/tags/friends/{friend['id']}")
    assert response.status_code == 200, response.text
    return {t["name"] for t in response.json()}


async def test_filter_save_a_tab_bulk_tag_and_reply_from_a_friends_page(page: Page, shop: Shop) -> None:
    vip = await tag_named(shop, "VIP")
    await tag_named(shop, "春キャンペーン")
    hanako_user, hanako = await follower(shop, "花子")
    _, taro = await follower(shop, "太郎")
    _, jiro = await follower(shop, "次郎")
    for friend in (hanako, taro):
        response = await shop.staff.put(f"{shop.api}/tags/friends/{friend['id']}/{vip}")
        assert response.status_code == 200, response.text

    await log_in(page, shop)
    rows = page.locator("table.friends-table tbody tr")
    await expect(page.get_by_role("status").filter(has_text="人")).to_have_text("3人")
    await expect(rows).to_have_count(3)

    # The segment builder: a tag condition, its form generated from the condition's schema.
    await page.get_by_text("絞り込み条件", exact=True).first.click()
    await choose(page, page.get_by_label("条件の種類"), "タグ")
    await page.get_by_role("button", name="条件を追加").click()
    condition = page.get_by_role("region", name="タグ")
    await condition.get_by_role("checkbox", name="VIP").check()
    await expect(page.locator(".segment-count")).to_have_text("2人")
    await expect(rows).to_have_count(2)
    await expect(page.get_by_role("link", name="花子")).to_be_visible()
    await expect(page.get_by_role("link", name="太郎")).to_be_visible()
    await expect(page.get_by_role("link", name="次郎")).to_have_count(0)
    # The match is chosen by its label, never a raw value: friends without the tag, then with it again.
    await expect(chosen(condition.get_by_label("条件"))).to_have_text("いずれかを持つ")
    await choose(page, condition.get_by_label("条件"), "どれも持たない")
    await expect(page.locator(".segment-count")).to_have_text("1人")
    await expect(page.get_by_role("link", name="次郎")).to_be_visible()
    await choose(page, condition.get_by_label("条件"), "いずれかを持つ")
    await expect(page.locator(".segment-count")).to_have_text("2人")

    # Kept as a tab of its own.
    await page.get_by_role("button", name="タブとして保存").click()
    await page.get_by_label("タブ名").fill("VIPのお客さま")
    await page.get_by_role("button", name="保存", exact=True).click()
    await expect(page.get_by_role("tab", name="VIPのお客さま")).to_have_attribute("aria-selected", "true")
    tabs = (await shop.staff.get(f"{shop.api}/friends/tabs")).json()
    assert [(t["name"], t["segment"]) for t in tabs] == [
        ("VIPのお客さま", {"all": [{"type": "tags.has_tags", "config": {"tag_ids": [vip], "match": "any"}}]})
    ]

    await page.locator(".content").evaluate("e => e.scrollTo(0, 0)")
    await page.screenshot(path=ARTIFACTS / "friends-list-vip-tab.png")

    # The list as CSV, for Excel: the friends the filter finds.
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="CSVダウンロード").click()
    download = await download_info.value
    assert re.fullmatch(r"friends-\d{8}-\d{6}\.csv", download.suggested_filename)
    csv = (await download.path()).read_bytes().decode("utf-8-sig")
    assert "花子" in csv and "太郎" in csv and "次郎" not in csv

    # Everyone the filter finds gets a tag, as a background operation with a progress bar.
    await page.get_by_role("button", name="条件に一致する全員(2人)を選択").click()
    bulk = page.get_by_role("region", name="一括操作")
    await expect(bulk).to_contain_text("条件に一致する全員(2人)に実行します")
    await choose(page, bulk.get_by_label("操作", exact=True), "タグを付ける")
    await bulk.get_by_role("checkbox", name="春キャンペーン").check()
    await bulk.get_by_role("button", name="実行").click()
    progress = bulk.get_by_role("progressbar", name="進捗")
    await expect(progress).to_have_attribute("aria-valuenow", "100", timeout=30_000)
    await expect(progress).to_have_attribute("aria-valuetext", "100%")
    await expect(bulk.locator(".bulk-percent")).to_have_text("100%")
    await expect(bulk.locator(".bulk-status")).to_have_text("完了")
    report = bulk.get_by_role("definition")
    await expect(report).to_have_text(["2", "2", "2", "0"])
    await page.screenshot(path=ARTIFACTS / "friends-bulk-tag-done.png", full_page=True)
    assert await tags_of(shop, hanako) == {"VIP", "春キャンペーン"}
    assert await tags_of(shop, taro) == {"VIP", "春キャンペーン"}
    assert await tags_of(shop, jiro) == set()

    # The friend's page shows the tags, and a reply reaches the LINE user.
    await page.get_by_role("link", name="花子").click()
    await expect(page.get_by_role("heading", name="花子", level=1)).to_be_visible()
    await expect(page).to_have_url(re.compile(rf"/w/{shop.workspace.id}/friends/{hanako['id']}$"))
    tags = page.get_by_role("region", name="タグ").locator(".friend-tag")
    await expect(tags).to_have_text([re.compile("VIP"), re.compile("春キャンペーン")])
    await page.get_by_label("返信").fill("ご来店お待ちしております")
    await page.get_by_role("button", name="送信").click()
    thread = page.get_by_role("region", name="トーク").locator(".chat-out .chat-bubble")
    await expect(thread).to_have_text(["ご来店お待ちしております"])

    async def delivered() -> bool:
        response = await shop.staff.get(
            f"/emulator/_control/channels/{shop.workspace.line_channel_id}/users/{hanako_user}/deliveries"
        )
        return "ご来店お待ちしております" in response.text

    assert await _until(delivered), "the reply did not reach the LINE user"
    await page.locator(".content").evaluate("e => e.scrollTo(0, 0)")
    await page.screenshot(path=ARTIFACTS / "friends-friend-page.png", full_page=True)

    # On a tablet the chat comes after the friend's data instead of beside it.
    await page.set_viewport_size({"width": 820, "height": 1180})
    info = await page.locator(".friend-info").bounding_box()
    chat = await page.locator(".friend-chat").bounding_box()
    assert info and chat and chat["y"] >= info["y"] + info["height"] - 1
    await page.screenshot(path=ARTIFACTS / "friends-friend-page-tablet.png", full_page=True)

    # The list fits a tablet too: the page does not scroll sideways (the table scrolls within itself).
    await page.get_by_role("link", name="友だち一覧").click()
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()
    await expect(rows).to_have_count(3)
    await expect(page.locator(".segment-count")).to_have_text("3人")
    content = page.locator(".content")
    assert await content.evaluate("e => e.scrollWidth <= e.clientWidth")
    await page.screenshot(path=ARTIFACTS / "friends-list-tablet.png")


async def test_links_are_addresses_the_browser_goes_back_to_and_reloads(page: Page, shop: Shop) -> None:
    """The console's pages are addresses: a friend's link is a real link, the browser's back and forward buttons
    move between the list and the friend, a reload keeps the page, and a path that names nothing says so."""
    _, hanako = await follower(shop, "花子")
    await log_in(page, shop)
    base = shop.env.settings.public_url
    friends = f"/w/{shop.workspace.id}/friends"
    menu = page.get_by_role("navigation", name="メニュー")
    await expect(menu.get_by_role("link", name="友だち")).to_have_attribute("aria-current", "page")

    link = page.get_by_role("link", name="花子")
    await expect(link).to_have_attribute("href", f"{friends}/{hanako['id']}")
    await link.click()
    await expect(page).to_have_url(f"{base}{friends}/{hanako['id']}")
    await expect(page.get_by_role("link", name=re.compile("友だち一覧"))).to_be_visible()
    # Still the friends' area in the menu, on a friend's page.
    await expect(menu.get_by_role("link", name="友だち")).to_have_attribute("aria-current", "page")

    await page.go_back()
    await expect(page).to_have_url(f"{base}{friends}")
    await expect(page.get_by_role("link", name="花子")).to_be_visible()
    await page.go_forward()
    await expect(page).to_have_url(f"{base}{friends}/{hanako['id']}")
    await page.reload()
    await expect(page.get_by_role("link", name=re.compile("友だち一覧"))).to_be_visible()

    await menu.get_by_role("link", name="配信").click()
    await expect(page).to_have_url(f"{base}/w/{shop.workspace.id}/broadcasts")
    await expect(menu.get_by_role("link", name="友だち")).not_to_have_attribute("aria-current", "page")
    await page.go_back()
    await expect(page).to_have_url(f"{base}{friends}/{hanako['id']}")

    for path in (f"/w/{shop.workspace.id}/no_such_area", "/no/such/page", f"/w/{shop.workspace.id}/scenarios/abc"):
        await page.goto(base + path)
        await expect(page.get_by_text("ページが見つかりません。")).to_be_visible()
    await page.goto(f"{base}/w/abc/friends")
    await expect(page.get_by_text("このワークスペースは見つからないか、参加していません。")).to_be_visible()


async def test_a_name_for_staff_shows_in_the_list_search_and_inbox(page: Page, shop: Shop) -> None:
    """管理用の名前: set on the friend's page, shown instead of the LINE name (with the LINE name beside it) in the
    list, found by the search under either name, and shown in the inbox's conversation list and header."""
    hanako_user, hanako = await follower(shop, "🍀はなこ")
    await follower(shop, "太郎")
    channel = f"/emulator/_control/channels/{shop.workspace.line_channel_id}"
    wrote = await shop.staff.post(f"{channel}/users/{hanako_user}/text", json={"text": "予約できますか？"})
    assert wrote.status_code == 200, wrote.text

    await log_in(page, shop)
    await page.get_by_role("link", name="🍀はなこ").click()
    await expect(page.get_by_role("heading", name="🍀はなこ", level=1)).to_be_visible()
    await page.get_by_role("button", name="管理用の名前を付ける").click()
    field = page.get_by_label("管理用の名前")
    await field.fill("あ" * 101)  # too long: said at the field, nothing can be saved
    await expect(page.get_by_text("100文字以内で入力してください")).to_be_visible()
    await expect(page.get_by_role("button", name="保存", exact=True)).to_be_disabled()
    await field.fill("田中 花子様")
    await expect(page.get_by_text("100文字以内で入力してください")).to_be_hidden()
    await page.get_by_role("button", name="保存", exact=True).click()
    await expect(page.get_by_role("heading", name="田中 花子様", level=1)).to_be_visible()
    await expect(page.get_by_text("LINE名: 🍀はなこ")).to_be_visible()
    profile = (await shop.staff.get(f"{shop.api}/friends/{hanako['id']}")).json()
    assert profile["name_override"] == "田中 花子様"
    await page.screenshot(path=ARTIFACTS / "friends-name-for-staff.png")

    # In the list: the name staff gave, the LINE name beside it; the search finds her by either.
    await page.get_by_role("link", name="友だち一覧").click()
    row = page.locator("table.friends-table tbody tr").filter(has=page.get_by_role("link", name="田中 花子様"))
    await expect(row.get_by_text("LINE名: 🍀はなこ")).to_be_visible()
    search = page.get_by_role("searchbox", name="検索")
    for text in ("田中", "はなこ"):
        await search.fill(text)
        await expect(page.locator("table.friends-table tbody tr")).to_have_count(1)
        await expect(page.get_by_role("link", name="田中 花子様")).to_be_visible()
    await search.fill("")

    # In the inbox: the conversation and the open thread's header.
    await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="1:1チャット").click()
    item = page.get_by_role("list", name="会話").get_by_role("button", name=re.compile("田中 花子様"))
    await expect(item).to_be_visible()
    await item.click()
    await expect(page.get_by_role("heading", name="田中 花子様", level=2)).to_be_visible()
    await expect(page.get_by_text("LINE名: 🍀はなこ")).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "inbox-name-for-staff.png")

    # Cleared (blank): the LINE name again.
    await page.get_by_role("link", name="友だちページを開く").click()
    await page.get_by_role("button", name="管理用の名前を変更").click()
    await page.get_by_label("管理用の名前").fill("")
    await page.get_by_role("button", name="保存", exact=True).click()
    await expect(page.get_by_role("heading", name="🍀はなこ", level=1)).to_be_visible()
    assert (await shop.staff.get(f"{shop.api}/friends/{hanako['id']}")).json()["name_override"] is None
