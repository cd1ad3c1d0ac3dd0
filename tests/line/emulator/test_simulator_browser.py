"""The simulator page in a real browser (Chromium driven by Playwright), against the app in embedded mode.

A person acts as simulated LINE users the way they would in the page: creates a user, adds the account as a
friend, chats, taps what the account sent (template buttons, quick replies, carousels, Flex), blocks and unblocks.
Each step is checked in the page and on the workspace's side (API or database). A screenshot of each test's page
is saved in ``test-artifacts/``. Without a ``chromium`` on PATH these tests skip (and fail under CI=true).
"""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Error, Page, Route, async_playwright, expect
from sqlalchemy import select

from enishi.line.embedded import emulator_of, register_channels
from enishi.models import LineEvent, Workspace
from enishi_line_emulator import Emulator
from tests.conftest import PASSWORD, Env, unavailable
from tests.line import test_inbox

# The app with the embedded emulator on a live server, as in the inbox tests. The page and the browser do not
# depend on the database, so only embedded mode (SQLite) is driven.
live = test_inbox.live
_login, _until = test_inbox._login, test_inbox._until
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Only the app on 127.0.0.1 is reached: pictures elsewhere (template thumbnails, stickers) get a small
# picture, every other request to the outside is refused.
OUTSIDE = re.compile(r"^(?!https?://127\.0\.0\.1[:/])[a-z]+://")
expect.set_options(timeout=10_000)


def _png(rgb: tuple[int, int, int] = (6, 199, 85)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, *rgb])))
        + chunk(b"IEND", b"")
    )


PICTURE = _png()


async def _outside(route: Route) -> None:
    if route.request.resource_type == "image":
        await route.fulfill(status=200, content_type="image/png", body=PICTURE)
    else:
        await route.abort()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        unavailable("Chromium (the chromium package, on PATH as `chromium`)")
    async with async_playwright() as playwright:
        try:
            launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Error as error:
            unavailable(f"Chromium at {executable} ({str(error).splitlines()[0]})")
        try:
            yield launched
        finally:
            await launched.close()


# The page reports failures (a refused action, an unreachable server) in a toast that goes away: keep them.
RECORD_ERROR_TOASTS = """
window.simulatorErrors = [];
document.addEventListener("DOMContentLoaded", () => {
  const toast = document.getElementById("toast");
  new MutationObserver(() => {
    if (toast.classList.contains("error") && !window.simulatorErrors.includes(toast.textContent)) {
      window.simulatorErrors.push(toast.textContent);
    }
  }).observe(toast, { attributes: true, childList: true, characterData: true, subtree: true });
});
"""
# What the page's Content-Security-Policy blocked (it must block nothing the page itself needs).
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@pytest.fixture
async def page(browser: Browser, live: Env, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A fresh browser profile per test (closed before the app's server stops). Afterwards its page is saved as
    a PNG, and it must not have thrown or shown an error."""
    context = await browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1180, "height": 900}
    )
    await context.route(OUTSIDE, _outside)
    await context.add_init_script(RECORD_ERROR_TOASTS)
    await context.add_init_script(RECORD_CSP_VIOLATIONS)
    new_page = await context.new_page()
    thrown: list[Error] = []
    new_page.on("pageerror", lambda error: thrown.append(error))
    shown: list[str] = []
    blocked: list[str] = []
    try:
        yield new_page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.originalname)
        await new_page.screenshot(path=ARTIFACTS / f"simulator-{name}.png", full_page=True)
        if new_page.url.startswith("http"):
            shown = await new_page.evaluate("window.simulatorErrors")
            blocked = await new_page.evaluate("window.cspViolations")
        await context.close()
    assert not thrown, f"the page threw: {thrown}"
    assert not shown, f"the page showed errors: {shown}"
    assert not blocked, f"the Content-Security-Policy blocked: {blocked}"


@dataclass
class Shop:
    """A workspace whose channel the embedded emulator knows, and a signed-in staff member."""

    env: Env
    workspace: Workspace
    staff: httpx.AsyncClient
    emulator: Emulator

    @property
    def api(self) -> str:
        return f"/api/workspaces/{self.workspace.id}"

    @property
    def simulator_url(self) -> str:
        return f"{self.env.settings.public_url}/emulator/simulator"

    async def friends(self) -> list[dict[str, Any]]:
        response = await self.staff.get(f"{self.api}/friends", params={"limit": 100})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def friend_named(self, name: str, status: str = "following") -> dict[str, Any]:
        """Wait until the workspace has the friend (its name comes from LINE's profile, fetched by a job)."""

        async def found() -> dict[str, Any] | None:
            return next((f for f in await self.friends() if f["display_name"] == name and f["status"] == status), None)

        friend = await _until(found)
        assert friend, f"no {status} friend {name!r} in {await self.friends()}"
        return dict(friend)

    async def messages(self, friend: dict[str, Any]) -> list[dict[str, Any]]:
        """The conversation with a friend, newest first."""
        response = await self.staff.get(f"{self.api}/inbox/friends/{friend['id']}/messages")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def inbound(self, friend: dict[str, Any], kind: str, text: str | None = None) -> dict[str, Any]:
        """Wait for a message (or postback) from the friend to reach the inbox."""

        async def arrived() -> dict[str, Any] | None:
            return next(
                (
                    m
                    for m in await self.messages(friend)
                    if m["direction"] == "in" and m["kind"] == kind and (text is None or m["text"] == text)
                ),
                None,
            )

        message = await _until(arrived)
        assert message, f"no {kind} {text!r} from the friend in {await self.messages(friend)}"
        return dict(message)

    async def reply(self, friend: dict[str, Any], *messages: dict[str, Any]) -> None:
        response = await self.staff.post(
            f"{self.api}/inbox/friends/{friend['id']}/messages", json={"messages": list(messages)}
        )
        assert response.status_code == 202, response.text


OWNER = "owner@shop.example"


@pytest.fixture
async def shop(live: Env) -> Shop:
    owner = await live.user(OWNER)
    workspace = await live.workspace(await live.agency(owner=owner), "縁カフェ")
    emulator = emulator_of(live.app.state)
    assert emulator is not None
    await register_channels(live.app.state["enishi"], emulator)
    return Shop(live, workspace, await _login(live, OWNER), emulator)


# -- what the person does in the page --------------------------------------------------------------------------


async def sign_in(page: Page, shop: Shop) -> None:
    """The simulator page is a signed-in staff member's: sign the browser in as the shop's owner, unless it is
    already (the console in another tab of the same browser shares the session)."""
    request = page.context.request
    base = shop.env.settings.public_url
    if (await request.get(f"{base}/api/auth/me")).status == 200:
        return
    response = await request.post(f"{base}/api/auth/login", data={"email": OWNER, "password": PASSWORD})
    assert response.ok, await response.text()


async def open_simulator(page: Page, shop: Shop) -> None:
    await sign_in(page, shop)
    await page.goto(shop.simulator_url)
    channel = page.get_by_label("チャネル", exact=True)
    await expect(channel).to_have_value(shop.workspace.line_channel_id)
    await expect(channel.locator("option:checked")).to_have_text(re.compile("^縁カフェ"))


async def create_user(page: Page, name: str) -> None:
    """Create a simulated user in the page; the page then acts as that user."""
    await page.get_by_placeholder("表示名（省略可）").fill(name)
    await page.get_by_role("button", name="ユーザー作成").click()
    await expect(page.locator("#acting-as")).to_have_text(f"{name} として操作中")
    await expect(page.locator("#friend-state")).to_have_text("未追加")


async def add_friend(page: Page, shop: Shop, name: str) -> dict[str, Any]:
    """Create a user, add the account as a friend in the page; returns the workspace's friend."""
    await create_user(page, name)
    await page.get_by_role("button", name="友だち追加").click()
    await expect(page.locator("#friend-state")).to_have_text("友だち")
    return await shop.friend_named(name)


async def send_text(page: Page, text: str) -> None:
    await page.get_by_label("メッセージ", exact=True).fill(text)
    await page.get_by_role("button", name="送信").click()
    await expect(page.locator("#chat li.mine").last).to_have_text(re.compile(re.escape(text)))


def bot_says(page: Page) -> Any:
    return page.locator("#chat li.theirs")


async def broken_pictures(page: Page) -> list[str]:
    """The pictures in the page that failed to load (every outside picture has a stand-in, so none should)."""
    broken: list[str] = await page.locator("img").evaluate_all(
        "imgs => imgs.filter(i => i.complete && i.naturalWidth === 0).map(i => i.getAttribute('src'))"
    )
    return broken


# -- the tests ----------------------------------------------------------------------------------------------------


async def test_adding_the_account_in_the_page_makes_a_friend_of_the_workspace(page: Page, shop: Shop) -> None:
    await open_simulator(page, shop)
    await expect(page.locator("#account-name")).to_have_text("ユーザーを選んでください")
    assert await shop.friends() == []

    await create_user(page, "佐藤 花子")
    user_button = page.locator("#user-list").get_by_role("button", name=re.compile("佐藤 花子"))
    await expect(user_button).to_have_attribute("aria-current", "true")
    await expect(page.get_by_label("メッセージ", exact=True)).to_be_enabled()
    await page.get_by_role("button", name="友だち追加").click()

    await expect(page.locator("#chat li.system")).to_have_text(["友だち追加しました"])
    await expect(page.locator("#friend-state")).to_have_text("友だち")
    await expect(page.get_by_role("button", name="友だち追加")).to_be_disabled()
    await expect(user_button.locator(".badge")).to_have_text("友だち")
    await expect(page.locator("#webhook-status")).to_have_text(re.compile(r"^Webhook 送信成功 \(200, \d+ ms\)$"))

    friend = await shop.friend_named("佐藤 花子")
    assert [(f["display_name"], f["status"]) for f in await shop.friends()] == [("佐藤 花子", "following")]
    simulated = shop.emulator.channel(shop.workspace.line_channel_id).users
    assert friend["line_user_id"] in simulated


async def test_a_typed_message_shows_in_the_chat_and_reaches_the_inbox(page: Page, shop: Shop) -> None:
    await open_simulator(page, shop)
    hanako = await add_friend(page, shop, "花子")
    await send_text(page, "予約できますか？")
    await expect(page.locator("#chat li.mine .bubble")).to_have_text(["予約できますか？"])
    message = await shop.inbound(hanako, "text", "予約できますか？")
    assert message["source"] == "line"

    # A second user: the chat is theirs alone, and their message reaches their own conversation.
    taro = await add_friend(page, shop, "太郎")
    await expect(page.locator("#chat li.mine")).to_have_count(0)
    await send_text(page, "営業時間を教えてください")
    await shop.inbound(taro, "text", "営業時間を教えてください")
    assert [m["text"] for m in await shop.messages(hanako)] == ["予約できますか？"]

    # Back to the first user: her chat again.
    await page.locator("#user-list").get_by_role("button", name=re.compile("花子")).click()
    await expect(page.locator("#acting-as")).to_have_text("花子 として操作中")
    await expect(page.locator("#chat li.mine .bubble")).to_have_text(["予約できますか？"])

    conversations = (await shop.staff.get(f"{shop.api}/inbox/conversations")).json()["items"]
    assert {c["friend"]["display_name"]: c["unread"] for c in conversations} == {"花子": 1, "太郎": 1}


async def test_stickers_pictures_and_places_sent_from_the_page_reach_the_inbox(page: Page, shop: Shop) -> None:
    await open_simulator(page, shop)
    hanako = await add_friend(page, shop, "花子")

    stickers = page.get_by_role("group", name="スタンプ")
    await expect(stickers).to_be_hidden()
    await page.get_by_role("button", name="スタンプ").click()
    await expect(stickers.get_by_role("button")).to_have_count(8)
    await stickers.get_by_role("button", name="スタンプ 😊").click()
    await expect(stickers).to_be_hidden()
    await expect(page.locator("#chat li.mine .sticker")).to_have_count(1)
    sticker = await shop.inbound(hanako, "sticker")
    assert (sticker["body"]["packageId"], sticker["body"]["stickerId"]) == ("446", "1988")

    picture = _png((255, 140, 0))
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("button", name="画像").click()
    await (await chooser.value).set_files({"name": "menu.png", "mimeType": "image/png", "buffer": picture})
    shown = page.locator("#chat li.mine .bubble.media img")
    await expect(shown).to_have_count(1)
    await expect(shown).to_have_js_property("naturalWidth", 1)
    image = await shop.inbound(hanako, "image")

    async def fetched() -> bytes | None:
        response = await shop.staff.get(f"{shop.api}/inbox/messages/{image['id']}/content")
        return response.content if response.status_code == 200 else None

    assert await _until(fetched) == picture

    await page.get_by_role("button", name="位置情報").click()
    await expect(page.locator("#chat li.mine .location")).to_contain_text("東京駅")
    place = await shop.inbound(hanako, "location")
    assert place["body"]["title"] == "東京駅"
    assert await broken_pictures(page) == []


async def test_staff_buttons_and_quick_replies_render_and_their_taps_reach_the_workspace(
    page: Page, shop: Shop
) -> None:
    await open_simulator(page, shop)
    hanako = await add_friend(page, shop, "花子")
    await send_text(page, "予約したいです")
    await shop.inbound(hanako, "text", "予約したいです")

    await shop.reply(
        hanako,
        {
            "type": "template",
            "altText": "ご予約の時間",
            "template": {
                "type": "buttons",
                "title": "ご予約",
                "text": "ご希望の時間を選んでください",
                "actions": [
                    {
                        "type": "postback",
                        "label": "18時に予約",
                        "data": "reserve=18",
                        "displayText": "18時でお願いします",
                    },
                    {"type": "uri", "label": "メニューを見る", "uri": "https://example.com/menu"},
                ],
            },
        },
        {
            "type": "text",
            "text": "ほかにご用件はありますか？",
            "quickReply": {
                "items": [
                    {
                        "type": "action",
                        "action": {"type": "message", "label": "駐車場", "text": "駐車場はありますか？"},
                    },
                    {"type": "action", "action": {"type": "postback", "label": "以上です", "data": "done"}},
                ]
            },
        },
    )

    card = page.get_by_role("group", name="ご予約の時間")
    await expect(card.locator(".card-title")).to_have_text("ご予約")
    await expect(card.locator(".card-text")).to_have_text("ご希望の時間を選んでください")
    await expect(card.get_by_role("button")).to_have_text(["18時に予約", "メニューを見る"])
    await expect(bot_says(page).last.locator(".bubble")).to_have_text("ほかにご用件はありますか？")
    quick_replies = page.get_by_role("group", name="クイックリプライ")
    await expect(quick_replies.get_by_role("button")).to_have_text(["駐車場", "以上です"])
    # No thumbnail and no chip icons were sent, so there are no pictures (not broken ones).
    await expect(card.locator("img")).to_have_count(0)
    await expect(quick_replies.locator("img")).to_have_count(0)

    # A quick reply sends its text as the user, and the quick replies go away.
    await quick_replies.get_by_role("button", name="駐車場").click()
    await expect(page.locator("#chat li.mine").last).to_have_text(re.compile("駐車場はありますか？"))
    await expect(quick_replies).to_be_hidden()
    await shop.inbound(hanako, "text", "駐車場はありますか？")

    # The template's postback button: its displayText shows as the user's message, the postback is stored and
    # processed by the workspace, and shows in the inbox.
    await card.get_by_role("button", name="18時に予約").click()
    await expect(page.locator("#chat li.mine").last).to_have_text(re.compile("18時でお願いします"))
    postback = await shop.inbound(hanako, "postback", "reserve=18")
    assert postback["body"]["data"] == "reserve=18"

    async def processed() -> list[LineEvent]:
        async with shop.env.db.session(shop.workspace.id) as s:
            events = list(await s.scalars(select(LineEvent).where(LineEvent.type == "postback")))
        return events if events and all(e.processed_at is not None for e in events) else []

    events = await _until(processed)
    assert [(e.line_user_id, e.payload["postback"]["data"], e.error) for e in events] == [
        (hanako["line_user_id"], "reserve=18", None)
    ]

    # A uri action opens the link (in a new window) and says so.
    async with page.context.expect_page() as opened:
        await card.get_by_role("button", name="メニューを見る").click()
    await (await opened.value).close()
    await expect(page.locator("#toast")).to_have_text("リンクを開きました: https://example.com/menu")
    assert await broken_pictures(page) == []


async def test_confirm_carousels_and_flex_render_and_their_actions_work(page: Page, shop: Shop) -> None:
    await open_simulator(page, shop)
    hanako = await add_friend(page, shop, "花子")
    image = "https://example.com/pictures/coffee.png"
    await shop.reply(
        hanako,
        {
            "type": "template",
            "altText": "確認",
            "template": {
                "type": "confirm",
                "text": "明日の予約を確定しますか？",
                "actions": [
                    {"type": "postback", "label": "はい", "data": "confirm=yes"},
                    {"type": "message", "label": "いいえ", "text": "やめておきます"},
                ],
            },
        },
        {
            "type": "template",
            "altText": "おすすめ",
            "template": {
                "type": "carousel",
                "columns": [
                    {
                        "thumbnailImageUrl": image,
                        "title": "ブレンド",
                        "text": "480円",
                        "actions": [{"type": "message", "label": "ブレンドを注文", "text": "ブレンドください"}],
                    },
                    {
                        "thumbnailImageUrl": image,
                        "title": "抹茶ラテ",
                        "text": "560円",
                        "actions": [{"type": "postback", "label": "抹茶ラテを注文", "data": "order=matcha"}],
                    },
                ],
            },
        },
        {
            "type": "template",
            "altText": "店内の写真",
            "template": {
                "type": "image_carousel",
                "columns": [
                    {"imageUrl": image, "action": {"type": "uri", "label": "1階", "uri": "https://example.com/1f"}},
                    {"imageUrl": image, "action": {"type": "message", "label": "2階", "text": "2階を見たい"}},
                ],
            },
        },
        {
            "type": "flex",
            "altText": "会員証",
            "contents": {
                "type": "bubble",
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [
                        {"type": "text", "text": "縁カフェ 会員証", "weight": "bold", "size": "lg"},
                        {"type": "text", "text": "ポイント: 120", "color": "#666666"},
                    ],
                },
                "footer": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [
                        {
                            "type": "button",
                            "style": "primary",
                            "action": {"type": "postback", "label": "ポイントを使う", "data": "points=use"},
                        }
                    ],
                },
            },
        },
    )

    confirm = page.get_by_role("group", name="確認")
    await expect(confirm.locator(".card-text")).to_have_text("明日の予約を確定しますか？")
    await expect(confirm.get_by_role("button")).to_have_text(["はい", "いいえ"])
    carousel = page.get_by_role("group", name="おすすめ")
    await expect(carousel.locator(".card-title")).to_have_text(["ブレンド", "抹茶ラテ"])
    await expect(carousel.locator(".card-text")).to_have_text(["480円", "560円"])
    await expect(carousel.locator("img.card-image")).to_have_count(2)
    photos = page.get_by_role("group", name="店内の写真")
    await expect(photos.get_by_role("button")).to_have_text(["1階", "2階"])
    card = page.get_by_role("group", name="会員証")
    await expect(card.locator(".flex-text")).to_have_text(["縁カフェ 会員証", "ポイント: 120"])
    # The pictures came from the outside (here a stand-in): they load and are shown.
    loaded = await carousel.locator("img.card-image").evaluate_all(
        "imgs => imgs.map(i => i.complete && i.naturalWidth)"
    )
    assert loaded == [1, 1]

    await carousel.get_by_role("button", name="ブレンドを注文").click()
    await shop.inbound(hanako, "text", "ブレンドください")
    await carousel.get_by_role("button", name="抹茶ラテを注文").click()
    await expect(page.locator("#chat li.system").last).to_have_text("ポストバック: order=matcha")
    await shop.inbound(hanako, "postback", "order=matcha")
    await confirm.get_by_role("button", name="はい").click()
    await shop.inbound(hanako, "postback", "confirm=yes")
    await photos.get_by_role("button", name="2階").click()
    await shop.inbound(hanako, "text", "2階を見たい")
    await card.get_by_role("button", name="ポイントを使う").click()
    await shop.inbound(hanako, "postback", "points=use")
    await expect(page.locator("#chat li.mine .bubble")).to_have_text(["ブレンドください", "2階を見たい"])
    assert await broken_pictures(page) == []


async def test_blocking_and_unblocking_in_the_page_changes_the_friend(page: Page, shop: Shop) -> None:
    await open_simulator(page, shop)
    friend = await add_friend(page, shop, "花子")
    composer = page.get_by_label("メッセージ", exact=True)
    notes = ["友だち追加しました", "ブロックしました", "ブロックを解除しました"]

    await page.get_by_role("button", name="ブロック", exact=True).click()
    await expect(page.locator("#friend-state")).to_have_text("ブロック中")
    await expect(page.locator("#chat li.system").last).to_have_text("ブロックしました")
    await expect(composer).to_be_disabled()
    await expect(page.get_by_role("button", name="ブロック", exact=True)).to_be_disabled()
    blocked = await shop.friend_named("花子", "blocked")
    assert blocked["id"] == friend["id"] and blocked["blocked_at"] is not None

    await page.get_by_role("button", name="ブロック解除").click()
    await expect(page.locator("#friend-state")).to_have_text("友だち")
    await expect(page.locator("#chat li.system")).to_have_text(notes)
    await expect(composer).to_be_enabled()
    await expect(page.get_by_role("button", name="友だち追加")).to_be_disabled()
    again = await shop.friend_named("花子", "following")
    assert again["id"] == friend["id"]

    # Friends again: a message goes through.
    await send_text(page, "また来ます")
    await shop.inbound(again, "text", "また来ます")

    # Opened afresh, the page tells the same story from the user's whole timeline.
    await page.reload()
    await page.locator("#user-list").get_by_role("button", name=re.compile("花子")).click()
    await expect(page.locator("#chat li.system")).to_have_text(notes)
    await expect(page.locator("#chat li.mine .bubble")).to_have_text(["また来ます"])
