"""Broadcasts (一斉配信) in a real browser: compose a segment broadcast to some simulated friends, see how many it
will reach, confirm it in the dialog that says so, send it, watch the progress bar reach 100 % on the broadcast's own
page (a reload shows it again), and find the messages at the simulated users' LINE and in their talk in the inbox;
save a draft, open it again after a reload, schedule it and send it now. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from enishi.app import create_app
from tests.conftest import Env, make_host, settings_for
from tests.line.emulator.test_simulator_browser import Shop
from tests.line.test_inbox import _until
from tests.live_server import listening_socket, serve
from tests.ui.antd import choose
from tests.ui.conftest import ARTIFACTS
from tests.ui.test_friends_browser import follower, log_in, tag_named

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=20_000)
TEXT = "冬のセールを開催します！"


@pytest.fixture
async def live(database_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    """The live server of the simulator tests, but sending pushes at one a second (as LINE might make a large
    account wait), so that a personalised broadcast to a few friends takes long enough to pause."""
    import httpx

    sock = listening_socket()
    port = sock.getsockname()[1]
    settings = settings_for(
        tmp_path,
        database_url,
        ENISHI_PUBLIC_URL=f"http://127.0.0.1:{port}",
        ENISHI_EMULATOR="true",
        ENISHI_LINE_RATE_PUSH="1/s",
    )
    host = make_host(settings)
    app = create_app(settings, host)
    async with serve(app, lifespan="on", sock=sock):
        client = httpx.AsyncClient(base_url=settings.public_url, timeout=10)
        env = Env(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=client)
        try:
            yield env
        finally:
            for c in [client, *env.clients]:
                await c.aclose()


async def tag(shop: Shop, friend: dict[str, Any], tag_id: int) -> None:
    response = await shop.staff.put(f"{shop.api}/tags/friends/{friend['id']}/{tag_id}")
    assert response.status_code == 200, response.text


async def test_a_segment_broadcast_is_counted_sent_and_followed_to_the_end(page: Page, shop: Shop) -> None:
    vip = await tag_named(shop, "VIP")
    opted_out = await tag_named(shop, "配信停止")
    hanako_user, hanako = await follower(shop, "花子")
    taro_user, taro = await follower(shop, "太郎")
    jiro_user, jiro = await follower(shop, "次郎")
    ume_user, _ = await follower(shop, "梅子")
    for friend in (hanako, taro, jiro):
        await tag(shop, friend, vip)
    await tag(shop, jiro, opted_out)

    await log_in(page, shop)
    await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="一斉配信").click()
    await expect(page.get_by_role("heading", name="一斉配信")).to_be_visible()
    await expect(page.get_by_text("まだ配信はありません")).to_be_visible()
    await page.get_by_role("link", name="新しい配信").click()
    await expect(page.get_by_role("heading", name="新しい配信")).to_be_visible()

    # Every friend, to begin with: four.
    summary = page.get_by_role("complementary", name="配信の概要")
    count = summary.locator(".estimate-count")
    await expect(count).to_have_text("4人に配信")

    await page.get_by_label("配信名（管理用）").fill("冬のセール告知")
    await page.get_by_label("本文", exact=True).fill(TEXT)
    await expect(page.get_by_role("region", name="プレビュー").get_by_text(TEXT)).to_be_visible()

    # Friends tagged VIP, but not those who opted out.
    await page.get_by_role("radio", name="条件で絞り込む").check()
    include = page.get_by_role("group", name="対象にする条件")
    await choose(page, include.get_by_label("条件の種類"), "タグ")
    await include.get_by_role("button", name="条件を追加").click()
    await include.get_by_role("region", name="タグ").get_by_role("checkbox", name="VIP").check()
    await expect(count).to_have_text("3人に配信")
    await page.get_by_label("除外する友だちを指定する").check()
    exclude = page.get_by_role("group", name="除外する条件")
    # (its select is found by place: the two builders give their controls the same ids)
    await choose(page, exclude.locator(".segment-add").get_by_label("条件の種類"), "タグ")
    await exclude.get_by_role("button", name="条件を追加").click()
    await exclude.get_by_role("region", name="タグ").get_by_role("checkbox", name="配信停止").check()
    await expect(count).to_have_text("2人に配信")
    await expect(summary).to_contain_text("LINEの今月の残り通数")
    await page.screenshot(path=ARTIFACTS / "broadcast-composer.png", full_page=True)

    # A test send first, to one simulated user's LINE (not among the recipients).
    await summary.get_by_text("テスト送信", exact=True).click()
    await choose(
        page, summary.get_by_label("送信先（自分のLINEアカウントやシミュレーターのユーザー）"), "梅子シミュレーター"
    )
    await summary.get_by_role("button", name="テスト送信する").click()
    await expect(summary.get_by_role("status").filter(has_text="テスト")).to_have_text("テスト送信しました")
    channel = shop.workspace.line_channel_id

    def got_it(user_id: str) -> int:
        return sum((d.message or {}).get("text") == TEXT for d in shop.emulator.deliveries(channel, user_id))

    async def tested() -> bool:
        return got_it(ume_user) == 1

    assert await _until(tested)

    # Nothing goes before a last look: to how many, with how many messages left, and what.
    await summary.get_by_role("button", name="今すぐ配信する").click()
    dialog = page.get_by_role("dialog", name="この内容で配信しますか？")
    await expect(dialog).to_contain_text("2人に配信")
    await expect(dialog).to_contain_text("LINEの今月の残り通数")
    await expect(dialog.get_by_role("region", name="プレビュー").get_by_text(TEXT)).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "broadcast-confirm.png", full_page=True)
    await dialog.get_by_role("button", name="戻る").click()
    await expect(dialog).to_be_hidden()
    assert got_it(hanako_user) == 0
    await summary.get_by_role("button", name="今すぐ配信する").click()
    await dialog.get_by_role("button", name="配信する").click()
    await expect(page).to_have_url(re.compile(r"/broadcasts/\d+$"))
    await expect(page.get_by_role("heading", name="冬のセール告知")).to_be_visible()

    # The progress bar follows the sending to the end, without reloading.
    bar = page.get_by_role("progressbar", name="配信の進み具合")
    await expect(bar).to_have_attribute("aria-valuenow", "100")
    await expect(page.locator(".broadcast-status")).to_have_text("完了")
    await expect(page.get_by_test_id("sent")).to_have_text("2")
    await expect(page.get_by_test_id("failed")).to_have_text("0")
    await expect(page.get_by_test_id("remaining")).to_have_text("0")
    recipients = page.get_by_role("region", name="配信先")
    await expect(recipients.locator("tbody tr")).to_have_count(2)
    await expect(recipients.locator("tbody tr").filter(has_text="花子")).to_contain_text("送信済み")
    await page.screenshot(path=ARTIFACTS / "broadcast-progress.png", full_page=True)
    # The page is the broadcast's own: a reload shows it again, finished.
    await page.reload()
    await expect(page.get_by_role("heading", name="冬のセール告知")).to_be_visible()
    await expect(page.get_by_role("progressbar", name="配信の進み具合")).to_have_attribute("aria-valuenow", "100")
    await expect(page.get_by_test_id("sent")).to_have_text("2")

    # The simulated users' LINE got it; the one who opted out and the one without the tag did not.
    async def delivered() -> bool:
        return got_it(hanako_user) == 1 and got_it(taro_user) == 1

    assert await _until(delivered)
    assert (got_it(jiro_user), got_it(ume_user)) == (0, 1)  # the test send only

    # The history lists it with its results.
    await page.get_by_role("link", name="配信一覧へ").click()
    row = page.get_by_role("table", name="配信履歴").locator("tbody tr").first
    await expect(row).to_contain_text("冬のセール告知")
    await expect(row).to_contain_text("完了")
    await expect(row).to_contain_text("成功 2 / 失敗 0")

    # 花子's talk in the inbox shows what she received, marked as the broadcast.
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/inbox/{hanako['id']}")
    thread = page.get_by_role("list", name="メッセージ")
    received = thread.get_by_role("listitem").filter(has_text=TEXT)
    await expect(received).to_contain_text("一斉配信「冬のセール告知」")
    await expect(received).to_contain_text("送信済み")


async def test_a_broadcast_over_the_quota_needs_a_partial_send_and_a_scheduled_one_can_be_cancelled(
    page: Page, shop: Shop
) -> None:
    users = [(await follower(shop, name))[0] for name in ("花子", "太郎", "次郎", "梅子")]
    channel = shop.workspace.line_channel_id
    shop.emulator.set_quota(channel, limit=3, consumption=0)  # three messages left this month, four friends
    page.on("dialog", lambda dialog: dialog.accept())

    await log_in(page, shop)
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/broadcasts/new")
    summary = page.get_by_role("complementary", name="配信の概要")
    await expect(summary.locator(".estimate-count")).to_have_text("4人に配信")
    await page.get_by_label("配信名（管理用）").fill("年末のごあいさつ")
    await page.get_by_label("本文", exact=True).fill("今年もありがとうございました")

    # It cannot reach everyone: sending now waits for an explicit "send to as many as fit".
    send = summary.get_by_role("button", name="今すぐ配信する")
    partial = summary.get_by_label("送れる3人にだけ送る（残りには送りません）")
    await expect(summary.get_by_role("list", name="注意")).to_be_visible()
    await expect(
        summary.get_by_text("全員には送れません。送れる人数だけ送るにはチェックを入れてください")
    ).to_be_visible()
    await expect(send).to_be_disabled()
    await page.screenshot(path=ARTIFACTS / "broadcast-over-quota.png", full_page=True)

    # Scheduled for tomorrow 10:00 in the workspace's time zone (the quota is checked again then) …
    tomorrow = (datetime.now(ZoneInfo(shop.workspace.timezone)) + timedelta(days=1)).strftime("%Y-%m-%d")
    await summary.get_by_label("日時を指定して予約").check()
    # Typed into the calendar's field (a person may also pick the day and time in its Japanese calendar).
    at = summary.get_by_label(re.compile("^配信日時"))
    await at.fill(f"{tomorrow} 10:00")
    await at.press("Tab")
    await summary.get_by_role("button", name="予約する").click()
    await page.get_by_role("dialog", name="この内容で予約しますか？").get_by_role("button", name="予約する").click()
    await expect(page.locator(".broadcast-status")).to_have_text("予約済み")
    facts = page.locator(".broadcast-facts")
    await expect(facts).to_contain_text(f"予約日時{tomorrow[:4]}/{int(tomorrow[5:7])}/{int(tomorrow[8:10])} 10:00")
    # … and cancelled before it starts.
    await page.get_by_role("button", name="配信を中止").click()
    await expect(page.locator(".broadcast-status")).to_have_text("中止")
    await expect(page.get_by_role("button", name="配信を中止")).to_have_count(0)

    # Sent now to as many as fit: three of the four.
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/broadcasts/new")
    await page.get_by_label("配信名（管理用）").fill("年末のごあいさつ")
    await page.get_by_label("本文", exact=True).fill("今年もありがとうございました")
    await expect(summary.locator(".estimate-count")).to_have_text("4人に配信")
    await partial.check()
    await send.click()
    dialog = page.get_by_role("dialog", name="この内容で配信しますか？")
    await expect(dialog).to_contain_text("3人に配信")
    await dialog.get_by_role("button", name="配信する").click()
    await expect(page.get_by_role("progressbar", name="配信の進み具合")).to_have_attribute("aria-valuenow", "100")
    await expect(page.get_by_test_id("sent")).to_have_text("3")
    await expect(page.locator(".broadcast-facts")).to_contain_text("送る人数の上限3")

    def got(user_id: str) -> bool:
        return any(
            (d.message or {}).get("text") == "今年もありがとうございました"
            for d in shop.emulator.deliveries(channel, user_id)
        )

    async def three() -> bool:
        return sum(got(u) for u in users) == 3

    assert await _until(three)

    await page.get_by_role("link", name="配信一覧へ").click()
    rows = page.get_by_role("table", name="配信履歴").locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("完了")
    await expect(rows.nth(1)).to_contain_text("中止")


async def test_a_personalised_broadcast_is_paused_and_resumed_while_its_progress_bar_moves(
    page: Page, shop: Shop
) -> None:
    names = ["花子", "太郎", "次郎", "梅子", "桃子", "健太", "美咲", "大輔"]
    users = [(await follower(shop, name))[0] for name in names]
    channel = shop.workspace.line_channel_id

    await log_in(page, shop)
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/broadcasts/new")
    summary = page.get_by_role("complementary", name="配信の概要")
    await page.get_by_label("配信名（管理用）").fill("お名前入りのお知らせ")
    await page.get_by_label("本文", exact=True).fill("{{friend.display_name}}さん、新メニューのお知らせです")
    # With a variable each friend gets their own message: one push each, at one a second here.
    await expect(summary).to_contain_text("1人ずつ送信（差し込みあり）")
    await expect(summary.locator(".estimate-count")).to_have_text("8人に配信")
    await summary.get_by_role("button", name="今すぐ配信する").click()
    await page.get_by_role("dialog", name="この内容で配信しますか？").get_by_role("button", name="配信する").click()

    bar = page.get_by_role("progressbar", name="配信の進み具合")
    await expect(page.locator(".broadcast-status")).to_have_text("配信中")
    await page.get_by_role("button", name="一時停止").click()
    await expect(page.locator(".broadcast-status")).to_have_text("一時停止中")
    await page.screenshot(path=ARTIFACTS / "broadcast-paused.png", full_page=True)

    # Paused: after what was already handed to LINE, nothing more goes out.
    async def settled() -> int:
        await asyncio.sleep(2)
        return int(await page.get_by_test_id("sent").inner_text())

    before = await settled()
    assert before < len(names)
    assert await settled() == before
    assert int(await bar.get_attribute("aria-valuenow") or 0) < 100

    await page.get_by_role("button", name="再開").click()
    await expect(page.locator(".broadcast-status")).to_have_text("完了")
    await expect(bar).to_have_attribute("aria-valuenow", "100")
    await expect(page.get_by_test_id("sent")).to_have_text("8")

    def got(user_id: str, name: str) -> bool:
        text = f"{name}さん、新メニューのお知らせです"
        return any((d.message or {}).get("text") == text for d in shop.emulator.deliveries(channel, user_id))

    async def everyone() -> bool:
        return all(got(u, n) for u, n in zip(users, names, strict=True))

    assert await _until(everyone)


async def test_a_draft_is_saved_opened_again_after_a_reload_scheduled_and_sent_now(page: Page, shop: Shop) -> None:
    users = [(await follower(shop, name))[0] for name in ("花子", "太郎")]
    channel = shop.workspace.line_channel_id
    page.on("dialog", lambda dialog: dialog.accept())
    await log_in(page, shop)
    await page.goto(f"{shop.env.settings.public_url}/w/{shop.workspace.id}/broadcasts/new")
    await page.get_by_label("配信名（管理用）").fill("春のおしらせ")
    await page.get_by_label("本文", exact=True).fill("{{friend.display_name}}さん、春メニューが始まります")
    # The preview fills the name in for an example friend (the first one listed), never the raw variable.
    preview = page.get_by_role("region", name="プレビュー")
    await expect(preview.get_by_text("太郎さん、春メニューが始まります")).to_be_visible()

    # Saved, not sent: the draft has its own address, and a reload opens it as it was.
    await page.get_by_role("button", name="下書き保存").click()
    await expect(page).to_have_url(re.compile(r"/broadcasts/drafts/\d+$"))
    await expect(page.get_by_role("status").filter(has_text="下書き")).to_have_text("下書きを保存しました")
    await page.reload()
    await expect(page.get_by_role("heading", name="下書きの配信")).to_be_visible()
    await expect(page.get_by_label("配信名（管理用）")).to_have_value("春のおしらせ")
    await expect(page.get_by_label("本文", exact=True)).to_have_value(
        "{{friend.display_name}}さん、春メニューが始まります"
    )
    assert all(not shop.emulator.deliveries(channel, u) for u in users)

    # The drafts are listed above the history, to open again.
    await page.get_by_role("link", name="配信一覧へ").click()
    drafts = page.get_by_role("table", name="下書き")
    await drafts.get_by_role("link", name="春のおしらせ").click()
    await expect(page.get_by_label("配信名（管理用）")).to_have_value("春のおしらせ")

    # Scheduled for a week from now, then sent now after all.
    summary = page.get_by_role("complementary", name="配信の概要")
    await expect(summary.locator(".estimate-count")).to_have_text("2人に配信")
    week = (datetime.now(ZoneInfo(shop.workspace.timezone)) + timedelta(days=7)).strftime("%Y-%m-%d")
    await summary.get_by_label("日時を指定して予約").check()
    at = summary.get_by_label(re.compile("^配信日時"))
    await at.fill(f"{week} 10:00")
    await at.press("Tab")
    await summary.get_by_role("button", name="予約する").click()
    dialog = page.get_by_role("dialog", name="この内容で予約しますか？")
    await expect(dialog).to_contain_text(f"{week} 10:00")
    await expect(
        dialog.get_by_role("region", name="プレビュー").get_by_text("太郎さん、春メニューが始まります")
    ).to_be_visible()
    await dialog.get_by_role("button", name="予約する").click()
    await expect(page).to_have_url(re.compile(r"/broadcasts/\d+$"))
    await expect(page.locator(".broadcast-status")).to_have_text("予約済み")
    await page.reload()
    await expect(page.locator(".broadcast-status")).to_have_text("予約済み")
    await page.get_by_role("button", name="今すぐ配信").click()
    now = page.get_by_role("dialog", name="この内容で配信しますか？")
    await expect(now).to_contain_text("2人に配信")
    await now.get_by_role("button", name="配信する").click()
    await expect(page.locator(".broadcast-status")).to_have_text("完了")
    await expect(page.get_by_test_id("sent")).to_have_text("2")

    def got(user_id: str, name: str) -> bool:
        text = f"{name}さん、春メニューが始まります"
        return any((d.message or {}).get("text") == text for d in shop.emulator.deliveries(channel, user_id))

    async def both() -> bool:
        return got(users[0], "花子") and got(users[1], "太郎")

    assert await _until(both)
    # Sent: the draft is gone from the list.
    await page.get_by_role("link", name="配信一覧へ").click()
    await expect(page.get_by_role("table", name="配信履歴").locator("tbody tr")).to_have_count(1)
    await expect(page.get_by_role("table", name="下書き")).to_have_count(0)
