"""The journeys of a shop owner new to Enishi, in a real browser (Chromium, Japanese), with the server's clock at
03:00 in Tokyo, inside the workspace's quiet hours (22:00–08:00), so that what quiet hours hold shows.

Each journey drives only what a person sees (roles and Japanese labels; the canvas's ports, which have neither,
are reached by the builder tests' drag helpers): build a step scenario with a button that tags and watch a new
friend go through it; send a segment broadcast; create an inflow route and follow it as a visitor; reply in the
inbox with a 定型文 and a picture, set a mark and an assignee and write a note.

One screenshot is kept per step of each journey, in the directory named by ``ENISHI_SCREENSHOTS`` (default: the
test's own ``tmp_path``), as ``<journey>-<nn>-<step>.png``.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image
from playwright.async_api import Locator, Page, expect
from sqlalchemy import select

from enishi.models.scenarios import ScenarioRun
from enishi.scenarios.engine import advance_run
from tests.line.emulator.test_simulator_browser import Shop, add_friend, bot_says, open_simulator, send_text
from tests.line.test_inbox import _until
from tests.ui.antd import choose, chosen
from tests.ui.test_builder_browser import drag_from_palette, job_context
from tests.ui.test_friends_browser import follower, log_in, tag_named, tags_of
from tests.ui.test_inbox_browser import make_staff, serve_media_over_https

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=20_000)

# 03:00 in Tokyo: inside the default quiet hours of a workspace (22:00–08:00).
NIGHT = datetime(2026, 12, 8, 3, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture(autouse=True)
def three_in_the_morning() -> Iterator[None]:
    """The wall clock of the server (it runs in this process) at 03:00 Tokyo time, ticking on from there."""
    with time_machine.travel(NIGHT, tick=True):
        yield


@dataclass
class Shots:
    """One screenshot per step of a journey, numbered in order."""

    directory: Path
    journey: str
    taken: list[Path] = field(default_factory=list)

    async def __call__(self, page: Page, step: str) -> None:
        path = self.directory / f"{self.journey}-{len(self.taken) + 1:02d}-{step}.png"
        await page.screenshot(path=path, full_page=True)
        self.taken.append(path)


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Shots:
    directory = Path(os.environ.get("ENISHI_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    journey = re.sub(r"^test_", "", request.node.originalname)
    return Shots(directory, journey)


def menu(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="メニュー").get_by_role("link", name=name, exact=True)


# -- the canvas ---------------------------------------------------------------------------------------------------


def node_card(page: Page, title: str) -> Locator:
    """A node on the canvas, found by the title it shows."""
    return (
        page.get_by_role("group")
        .filter(has=page.get_by_text(title, exact=True))
        .filter(has=page.locator(".react-flow__handle"))
    )


async def drag_between(page: Page, source: Locator, target: Locator) -> None:
    """An edge drawn with the mouse from a node's output port to another node's input port."""
    start = await source.locator(".react-flow__handle.source").first.bounding_box()
    end = await target.locator(".react-flow__handle.target").first.bounding_box()
    assert start and end
    await page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    await page.mouse.up()


async def connect(page: Page, source: Locator, target: Locator, edges: int) -> None:
    """Draw an edge and see ``edges`` edges on the canvas; a drag the loaded browser dropped is drawn again."""
    drawn = page.locator(".react-flow__edge")
    for _ in range(2):
        await drag_between(page, source, target)
        try:
            await expect(drawn).to_have_count(edges, timeout=3000)
            return
        except AssertionError:
            continue
    await drag_between(page, source, target)
    await expect(drawn).to_have_count(edges)


async def open_node(page: Page, card: Locator, title: str) -> Locator:
    await card.get_by_text(title, exact=True).click()
    panel = page.get_by_role("region", name="ノード設定")
    await expect(panel).to_be_visible()
    return panel


# -- the journeys -------------------------------------------------------------------------------------------------


async def test_a_step_scenario_with_a_button_that_tags(page: Page, shop: Shop, shots: Shots) -> None:
    """Built by drag and drop, configured in the forms, published after the confirmation; a friend who adds the
    account at 03:00 gets the greeting at once (a reply), the button tags them, and the push an hour later waits
    for 08:00, saying why."""
    await tag_named(shop, "常連")
    await log_in(page, shop)
    await menu(page, "シナリオ").click()
    await page.get_by_label("新しいシナリオの名前").fill("はじめてのご案内")
    await page.get_by_role("button", name="作成").click()
    await expect(page.get_by_role("heading", name="はじめてのご案内")).to_be_visible()

    await drag_from_palette(page, "友だち追加されたとき", 200, 40)
    await drag_from_palette(page, "メッセージを送る", 200, 170)
    await drag_from_palette(page, "時間をおく", 200, 300)
    await drag_from_palette(page, "メッセージを送る", 200, 430)
    nodes = page.get_by_role("group").filter(has=page.locator(".react-flow__handle"))
    await expect(nodes).to_have_count(4)
    trigger = node_card(page, "友だち追加されたとき")
    greeting, later = (nodes.filter(has_text="メッセージを送る").nth(i) for i in (0, 1))
    wait = node_card(page, "時間をおく")
    await connect(page, trigger, greeting, 1)
    await connect(page, greeting, wait, 2)
    await connect(page, wait, later, 3)
    await page.get_by_role("button", name="自動整列").click()
    await shots(page, "dragged-and-connected")

    panel = await open_node(page, greeting, "メッセージを送る")
    await panel.get_by_role("button", name="テキスト", exact=True).click()
    await panel.get_by_label("本文", exact=True).fill("ご登録ありがとうございます！")
    await panel.get_by_role("button", name="ボタン", exact=True).click()
    card = panel.get_by_role("group", name="メッセージ2")
    await card.get_by_label("通知に表示される文(代替テキスト)").fill("ご案内")
    await card.get_by_label("本文", exact=True).fill("常連さん向けのお知らせを受け取りますか？")
    button = card.get_by_role("group", name="ボタン1")
    await button.get_by_label("ボタンの文字").fill("受け取る")
    await choose(page, button.get_by_label("実行することを追加"), "タグを付ける")
    await button.get_by_role("group", name="タグ").get_by_label("常連").check()
    await expect(panel.get_by_role("region", name="プレビュー").get_by_role("group", name="ご案内")).to_contain_text(
        "受け取る"
    )
    await shots(page, "greeting-with-a-button")

    panel = await open_node(page, wait, "時間をおく")
    await panel.get_by_label("時間", exact=True).fill("1")
    await expect(wait).to_contain_text("1時間後")
    panel = await open_node(page, later, "メッセージを送る")
    await panel.get_by_role("button", name="テキスト", exact=True).click()
    await panel.get_by_label("本文", exact=True).fill("常連さん限定のクーポンです")
    await page.get_by_role("tab", name="問題").click()
    await expect(page.get_by_text("問題はありません。公開できます。")).to_be_visible()
    await shots(page, "configured")

    await page.get_by_role("button", name="公開", exact=True).click()
    confirm = page.get_by_role("dialog", name="公開の確認")
    await expect(confirm).to_contain_text("初めての公開です")
    await shots(page, "publish-confirmation")
    await confirm.get_by_role("button", name="公開する").click()
    await expect(page.get_by_role("status")).to_contain_text("公開しました(v1)")

    # 03:00: a LINE user adds the account in the simulator. The greeting answers the follow: it is not held.
    simulator = await page.context.new_page()
    await open_simulator(simulator, shop)
    friend = await add_friend(simulator, shop, "花子")
    talk = simulator.get_by_role("list", name="トーク").get_by_role("listitem")
    await expect(talk.filter(has_text="ご登録ありがとうございます！")).to_contain_text("reply")
    offer = simulator.get_by_role("group", name="ご案内")
    await offer.get_by_role("button", name="受け取る").click()

    async def tagged() -> bool:
        return "常連" in await tags_of(shop, friend)

    assert await _until(tagged), "the button's tap did not add the tag"
    await shots(simulator, "greeted-at-three-and-tapped")

    # An hour later (04:00) the push is due, and waits for the end of the quiet hours.
    async def waiting() -> ScenarioRun | None:
        async with shop.env.db.session() as s:
            run = await s.scalar(select(ScenarioRun).where(ScenarioRun.friend_id == friend["id"]))
        return run if run is not None and run.status == "waiting" and run.resume_at is not None else None

    run = await _until(waiting)
    assert run is not None and run.resume_at is not None
    await advance_run(job_context(shop.env), run.id, now=run.resume_at)
    held = "08:00 に送信予定: 配信しない時間帯"
    await expect(simulator.get_by_role("note")).to_contain_text(held)
    await shots(simulator, "push-held-in-the-simulator")
    await simulator.close()

    await menu(page, "友だち").click()
    await page.get_by_role("link", name="花子").click()
    await expect(page.get_by_role("heading", name="花子", level=1)).to_be_visible()
    await expect(page.get_by_role("region", name="タグ")).to_contain_text("常連")
    entry = page.get_by_role("region", name="参加中のシナリオ").get_by_role("listitem", name="はじめてのご案内")
    await expect(entry).to_contain_text("配信しない時間帯で保留中")
    await expect(entry.get_by_role("note")).to_contain_text(held)
    # The talk shows the tap by the button's words.
    await expect(page.get_by_text("ボタンをタップ: 受け取る")).to_be_visible()
    await shots(page, "friend-page-tag-and-held-push")


async def test_a_segment_broadcast(page: Page, shop: Shop, shots: Shots) -> None:
    """A segment by a tag's name, a preview for an example friend, the confirmation with the count and the quota,
    then the broadcast's own page and the friend's talk in the inbox."""
    vip = await tag_named(shop, "VIP")
    hanako_user, hanako = await follower(shop, "花子")
    _, taro = await follower(shop, "太郎")
    await follower(shop, "次郎")
    # 花子 wrote to the shop earlier: she has a conversation in the inbox.
    channel = f"/emulator/_control/channels/{shop.workspace.line_channel_id}"
    asked = await shop.staff.post(f"{channel}/users/{hanako_user}/text", json={"text": "セールはありますか？"})
    assert asked.status_code == 200, asked.text
    for friend in (hanako, taro):
        response = await shop.staff.put(f"{shop.api}/tags/friends/{friend['id']}/{vip}")
        assert response.status_code == 200, response.text

    await log_in(page, shop)
    await menu(page, "一斉配信").click()
    await page.get_by_role("link", name="新しい配信").click()
    summary = page.get_by_role("complementary", name="配信の概要")
    await expect(summary).to_contain_text("3人に配信")
    await page.get_by_label("配信名（管理用）").fill("冬のセール告知")
    text = page.get_by_label("本文", exact=True)
    await text.fill("さん、冬のセールを開催します！")
    await text.press("Home")
    await page.get_by_role("button", name="変数を挿入").click()
    await page.get_by_role("menuitem", name="友だちの名前").click()
    await expect(text).to_have_value(re.compile(r"^\{\{friend\.\w+\}\}さん、冬のセールを開催します！$"))
    # The preview fills the name in for an example friend.
    preview = page.get_by_role("region", name="プレビュー")
    await expect(preview.get_by_text(re.compile("^(花子|太郎|次郎)さん、冬のセールを開催します！$"))).to_be_visible()
    await expect(preview).not_to_contain_text("{{")
    await shots(page, "composed-with-preview")

    await page.get_by_role("radio", name="条件で絞り込む").check()
    include = page.get_by_role("group", name="対象にする条件")
    await choose(page, include.get_by_label("条件の種類"), "タグ")
    await include.get_by_role("button", name="条件を追加").click()
    await include.get_by_role("region", name="タグ").get_by_role("checkbox", name="VIP").check()
    await expect(summary).to_contain_text("2人に配信")
    await shots(page, "segment-by-tag")

    await summary.get_by_role("button", name="今すぐ配信する").click()
    dialog = page.get_by_role("dialog", name="この内容で配信しますか？")
    await expect(dialog).to_contain_text("2人に配信")
    await expect(dialog).to_contain_text("LINEの今月の残り通数")
    await shots(page, "confirmation")
    await dialog.get_by_role("button", name="配信する").click()

    await expect(page).to_have_url(re.compile(r"/broadcasts/\d+$"))
    await expect(page.get_by_role("heading", name="冬のセール告知")).to_be_visible()
    await expect(page.get_by_role("progressbar", name="配信の進み具合")).to_have_attribute("aria-valuenow", "100")
    recipients = page.get_by_role("region", name="配信先")
    await expect(recipients.get_by_role("row").filter(has_text="花子")).to_contain_text("送信済み")
    await expect(recipients.get_by_role("row").filter(has_text="次郎")).to_have_count(0)
    await page.reload()
    await expect(page.get_by_role("heading", name="冬のセール告知")).to_be_visible()
    await shots(page, "the-broadcasts-own-page")

    await menu(page, "1:1チャット").click()
    await page.get_by_role("list", name="会話").get_by_role("button", name=re.compile("花子")).click()
    received = (
        page.get_by_role("list", name="メッセージ")
        .get_by_role("listitem")
        .filter(has_text="花子さん、冬のセールを開催します！")
    )
    await expect(received).to_contain_text("一斉配信「冬のセール告知」")
    await shots(page, "in-the-friends-talk")


async def test_an_inflow_route_followed_by_a_visitor(page: Page, shop: Shop, shots: Shots) -> None:
    """A route that tags on entry; its public page speaks Japanese and shows the shop's name; a visitor follows it
    into LINE (the simulator), and the route counts a new friend."""
    await tag_named(shop, "チラシから")
    await log_in(page, shop)
    await menu(page, "設定").click()
    await page.get_by_role("navigation", name="設定メニュー").get_by_role("link", name="流入経路", exact=True).click()
    await page.get_by_role("button", name="経路を追加").click()
    form = page.get_by_role("form", name="経路を追加")
    await form.get_by_label("経路名").fill("冬のチラシ")
    await choose(page, form.get_by_role("combobox", name="追加するアクション"), "タグを付ける")
    await form.get_by_role("button", name="アクションを追加").click()
    await form.get_by_role("group", name="タグを付ける").get_by_role("checkbox", name="チラシから").check()
    await shots(page, "route-form")
    await form.get_by_role("button", name="経路を作成").click()
    row = page.get_by_role("row").filter(has_text="冬のチラシ")
    await expect(row).to_be_visible()
    url = await row.get_by_label("「冬のチラシ」のURL").input_value()
    await shots(page, "route-created")

    visitor = await page.context.new_page()
    await visitor.goto(url)
    await expect(visitor.locator("html")).to_have_attribute("lang", "ja")
    await expect(visitor.get_by_role("heading", level=1)).to_have_text(shop.workspace.name)
    await expect(visitor).to_have_title(shop.workspace.name)
    await expect(visitor.get_by_text("冬のチラシ")).to_have_count(0)
    code = (await visitor.get_by_text(re.compile(r"^#\w+$")).inner_text()).strip()
    await shots(visitor, "landing-page")

    # 友だち追加 leads to LINE: here, the simulator, where the visitor adds the account and sends the code.
    await visitor.get_by_role("link", name="友だち追加").click()
    await expect(visitor.get_by_label("チャネル", exact=True)).to_have_value(shop.workspace.line_channel_id)
    friend = await add_friend(visitor, shop, "冬子")
    await send_text(visitor, code)
    await shots(visitor, "followed-in-line")

    async def tagged() -> bool:
        return "チラシから" in await tags_of(shop, friend)

    assert await _until(tagged), "the route's action did not tag the visitor"
    await page.reload()
    row = page.get_by_role("row").filter(has_text="冬のチラシ")
    await expect(row).to_be_visible()
    table = page.get_by_role("table").filter(has=row)
    headers = [h.strip() for h in await table.get_by_role("columnheader").all_inner_texts()]
    assert "新しい友だち" in headers, headers
    # (the route's name heads its row: the other columns are its cells)
    named = await row.get_by_role("rowheader").count()
    cells = row.get_by_role("cell")
    await expect(cells.nth(headers.index("訪問") - named)).to_have_text("1")
    await expect(cells.nth(headers.index("新しい友だち") - named)).to_have_text("1")
    await shots(page, "route-counts-the-new-friend")


async def test_the_inbox_reply_mark_assignee_and_note(page: Page, shop: Shop, shots: Shots) -> None:
    """A reply with a 定型文 and a picture from the media library, a response mark, an assignee and a note, all
    seen afterwards on the friend's page."""
    await make_staff(shop)
    made = await shop.staff.post(
        f"{shop.api}/messages/templates",
        json={"name": "来店のお礼", "messages": [{"type": "text", "text": "ご来店ありがとうございました"}]},
    )
    assert made.status_code == 201, made.text
    await serve_media_over_https(page, shop)
    png = io.BytesIO()
    Image.new("RGB", (640, 480), (230, 120, 60)).save(png, "PNG")
    uploaded = await shop.staff.post(f"{shop.api}/media", files={"file": ("クーポン.png", png.getvalue(), "image/png")})
    assert uploaded.status_code == 201, uploaded.text

    simulator = await page.context.new_page()
    await open_simulator(simulator, shop)
    hanako = await add_friend(simulator, shop, "花子")
    await send_text(simulator, "明日の予約はできますか？")

    # (the simulator's tab signed this browser in already)
    await page.goto(shop.env.settings.public_url + "/")
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()
    await menu(page, "1:1チャット").click()
    await page.get_by_role("list", name="会話").get_by_role("button", name=re.compile("花子")).click()
    thread = page.get_by_role("list", name="メッセージ")
    await expect(thread.get_by_text("明日の予約はできますか？")).to_be_visible()
    await shots(page, "conversation")

    await page.get_by_role("button", name="定型文").click()
    await choose(page, page.get_by_role("combobox", name="定型文"), "来店のお礼")
    await page.get_by_role("button", name="この内容で送信").click()
    thanks = thread.get_by_role("listitem").filter(has_text="ご来店ありがとうございました")
    await expect(thanks).to_contain_text("送信済み")
    await expect(bot_says(simulator).last).to_contain_text("ご来店ありがとうございました")
    await shots(page, "template-sent")

    await page.get_by_role("button", name="画像", exact=True).click()
    await page.get_by_role("dialog").get_by_role("button", name="クーポン.png を選ぶ").click()
    await expect(page.get_by_role("group", name="添付する画像")).to_be_visible()
    await page.get_by_label("返信").fill("今週のクーポンです")
    await page.get_by_role("button", name="送信", exact=True).click()
    await expect(thread.get_by_role("img", name="画像").last).to_be_visible()
    await expect(bot_says(simulator).last.get_by_role("img")).to_be_visible()
    await shots(page, "picture-sent")

    side = page.get_by_role("complementary", name="友だち")
    await choose(page, side.get_by_role("combobox", name="対応マーク"), "対応済")
    await expect(chosen(side.get_by_role("combobox", name="対応マーク"))).to_have_text("対応済")
    await choose(page, side.get_by_role("combobox", name="担当者"), "スタッフ")
    await expect(chosen(side.get_by_role("combobox", name="担当者"))).to_have_text("スタッフ")
    notes = side.get_by_role("region", name="メモ")
    await notes.get_by_label("メモを書く").fill("明日15時に来店予定")
    await notes.get_by_role("button", name="メモを追加").click()
    await expect(notes.get_by_role("listitem").filter(has_text="明日15時に来店予定")).to_be_visible()
    await shots(page, "mark-assignee-note")

    # All of it on the friend's page.
    await page.get_by_role("link", name="友だちページを開く").click()
    await expect(page.get_by_role("heading", name="花子", level=1)).to_be_visible()
    await expect(chosen(page.get_by_role("combobox", name="対応マーク"))).to_have_text("対応済")
    await expect(chosen(page.get_by_role("combobox", name="担当者"))).to_have_text("スタッフ")
    await expect(page.get_by_role("region", name="メモ")).to_contain_text("明日15時に来店予定")
    talk = page.get_by_role("list", name="メッセージ")
    await expect(talk).to_contain_text("ご来店ありがとうございました")
    await expect(talk.get_by_role("img", name="画像").last).to_be_visible()
    await shots(page, "friends-page")
    assert hanako["display_name"] == "花子"
