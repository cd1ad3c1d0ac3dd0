"""Accessibility of the console's main pages: axe-core, run in the browser on each page as drawn (in Japanese, the
console's default, and the main ones in English too) for a signed-in staff member with some data in the workspace,
finds no serious or critical violation: every control labelled, enough contrast, no duplicate ids that labels or
ARIA refer to, ARIA used as specified.

The pages: the login page (and its refusal); the friend list (filtered, its bulk operation and new-tab form), my
account, a friend's page and the 1:1 chat with a conversation open; the scenarios and the builder (each node's form,
unsaved changes, the step list, the problems, a dry run); the broadcasts, a scheduled and a sent one, and the
composer with a segment, an exclusion and the test send; the reports (the inflow report's table and chart, the cross
analysis' heat map, the funnel's form); every page of the settings menu with the resource pages' new-row forms; and
the agency view, of an agency's owner and of a platform admin (with a plan's form). Each test collects every page's
violations and reports them together (page, rule, help, target, HTML).
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from enishi_inflow.models import FirstRoute, Route, Visit
from playwright.async_api import Page, expect

from tests.conftest import PASSWORD, Env
from tests.line.emulator.test_simulator_browser import Shop
from tests.ui.antd import choose, press
from tests.ui.axe import Known, Violation, report, violations
from tests.ui.test_friends_browser import follower, log_in, tag_named

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=15_000)
TOKYO = ZoneInfo("Asia/Tokyo")

# Violations let through: Known(rule, a part of the target's selector, why). None at present; one added here must
# say why it cannot be fixed yet and where it is to be fixed.
KNOWN: tuple[Known, ...] = ()


class Audit:
    """The violations found on each page visited, reported together at the end."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: dict[str, list[Violation]] = {}

    async def check(self, where: str) -> None:
        await self.page.wait_for_load_state("networkidle")
        # Colours are read once they have settled: a control fading from one state to another (a button enabled,
        # a radio button chosen) reads faintly for a moment. Endless animations (a spinner) are not waited for.
        await self.page.evaluate(
            """() => Promise.race([
                Promise.all(document.getAnimations()
                    .filter((a) => Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity))
                    .map((a) => a.finished.catch(() => undefined))),
                new Promise((resolve) => setTimeout(resolve, 2000)),
            ])"""
        )
        self.found[where] = await violations(self.page, KNOWN)

    def assert_clean(self) -> None:
        if any(self.found.values()):
            pytest.fail("\n" + report(self.found), pytrace=False)


def menu_link(page: Page, name: str) -> Any:
    return page.get_by_role("navigation", name="メニュー").get_by_role("link", name=name, exact=True)


async def friends(shop: Shop) -> dict[str, Any]:
    """Two followers, one tagged; the tagged one."""
    vip = await tag_named(shop, "VIP")
    await tag_named(shop, "春キャンペーン")
    _, hanako = await follower(shop, "花子")
    await follower(shop, "太郎")
    response = await shop.staff.put(f"{shop.api}/tags/friends/{hanako['id']}/{vip}")
    assert response.status_code == 200, response.text
    return hanako


def _node(type_: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": type_, "type_version": 1, "config": config}


async def test_the_login_page(page: Page, live: Env) -> None:
    await page.goto(live.settings.public_url + "/login")
    await expect(page.get_by_role("button", name="ログイン")).to_be_visible()
    audit = Audit(page)
    await audit.check("login")
    # A failed attempt shows its message on the form.
    await page.get_by_label("メールアドレス").fill("nobody@shop.example")
    await page.get_by_label("パスワード").fill("not-the-password")
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await audit.check("login, refused")
    audit.assert_clean()


async def test_the_friend_list_a_friends_page_and_the_inbox(page: Page, shop: Shop) -> None:
    hanako = await friends(shop)
    reply = await shop.staff.post(
        f"{shop.api}/inbox/friends/{hanako['id']}/messages",
        json={"messages": [{"type": "text", "text": "ご来店ありがとうございます"}]},
    )
    assert reply.status_code == 202, reply.text
    audit = Audit(page)

    await log_in(page, shop)
    await expect(page.locator("table.friends-table tbody tr")).to_have_count(2)
    await audit.check("friend list")

    # The segment builder open with a tag condition.
    await page.get_by_text("絞り込み条件", exact=True).first.click()
    await choose(page, page.get_by_label("条件の種類"), "タグ")
    await page.get_by_role("button", name="条件を追加").click()
    await page.get_by_role("region", name="タグ").get_by_role("checkbox", name="VIP").check()
    await expect(page.locator("table.friends-table tbody tr")).to_have_count(1)
    await audit.check("friend list, filtered")

    # The bulk operations for everyone the filter finds, and the form that keeps the filter as a tab.
    await page.get_by_role("button", name="条件に一致する全員(1人)を選択").click()
    bulk = page.get_by_role("region", name="一括操作")
    await choose(page, bulk.get_by_label("操作", exact=True), "タグを付ける")
    await expect(bulk.get_by_role("checkbox", name="春キャンペーン")).to_be_visible()
    await bulk.get_by_role("checkbox", name="春キャンペーン").check()
    await bulk.get_by_role("button", name="実行").click()
    await expect(bulk.get_by_role("progressbar", name="進捗")).to_have_attribute("value", "100", timeout=30_000)
    await page.get_by_role("button", name="タブとして保存").click()
    await expect(page.get_by_label("タブ名")).to_be_visible()
    await audit.check("friend list, the bulk operations and a new tab")

    # The staff member's own account, from the header.
    await page.get_by_role("banner").get_by_role("button", name="スタッフ").click()
    account = page.get_by_role("region", name="自分のアカウント")
    await account.get_by_role("button", name="設定を始める").click()
    await expect(account.get_by_role("button", name="有効にする")).to_be_visible()
    await audit.check("my account")
    await account.get_by_role("button", name="閉じる").click()

    await page.get_by_role("link", name="花子").click()
    await expect(page.get_by_role("heading", name="花子", level=1)).to_be_visible()
    await expect(page.get_by_role("region", name="トーク").locator(".chat-bubble")).to_have_count(1)
    await audit.check("a friend's page")

    await menu_link(page, "1:1チャット").click()
    conversations = page.get_by_role("list", name="会話")
    await expect(conversations).to_be_visible()
    await audit.check("inbox")
    await conversations.get_by_role("button", name=re.compile("花子")).click()
    await expect(page.get_by_role("list", name="メッセージ").get_by_text("ご来店ありがとうございます")).to_be_visible()
    await expect(page.get_by_role("complementary", name="友だち")).to_be_visible()
    await audit.check("inbox, a conversation")
    audit.assert_clean()


async def test_the_scenarios_and_the_builder(page: Page, shop: Shop) -> None:
    tag_id = await tag_named(shop, "購入希望")
    trigger = _node("core.friend_followed", {"when": "both"})
    wait = _node("core.wait_until_time", {"days_after": 1, "time": "10:00"})
    send = _node("messages.send_messages", {"messages": [{"type": "text", "text": "ようこそ"}]})
    add = _node("tags.add_tag", {"tag_ids": [tag_id]})
    nodes = [trigger, wait, send, add]
    edges = [
        {"id": str(uuid.uuid4()), "source": a["id"], "source_port": "next", "target": b["id"], "target_port": "in"}
        for a, b in itertools.pairwise(nodes)
    ]
    document = {"schema_version": 1, "nodes": nodes, "edges": edges}
    body = {"name": "友だち追加のあいさつ", "document": document}
    created = await shop.staff.post(f"{shop.api}/scenarios", json=body)
    assert created.status_code == 201, created.text
    audit = Audit(page)

    await log_in(page, shop)
    await menu_link(page, "シナリオ").click()
    await expect(page.get_by_role("link", name="友だち追加のあいさつ")).to_be_visible()
    await audit.check("scenarios")

    await page.get_by_role("link", name="友だち追加のあいさつ").click()
    await expect(page.locator(".react-flow__node")).to_have_count(4)
    await audit.check("builder")

    # Each node's form, generated from its type's schema.
    for node_type in ("core.friend_followed", "core.wait_until_time", "tags.add_tag", "messages.send_messages"):
        node = page.locator(f'.react-flow__node:has([data-node-type="{node_type}"])')
        await node.locator(".node-title").click()
        await expect(node.locator(".enishi-node")).to_have_class(re.compile("selected"))
        await expect(page.get_by_role("region", name="ノード設定")).to_be_visible()
        await audit.check(f"builder, {node_type} selected")

    await page.get_by_role("button", name="自動整列").click()
    await expect(page.locator(".save-state.dirty")).to_be_visible()
    await audit.check("builder, unsaved changes")

    await press(page.get_by_role("radio", name="ステップ一覧"))
    await expect(page.get_by_role("listitem", name="ステップ1")).to_be_visible()
    await audit.check("builder, the step list")

    await press(page.get_by_role("radio", name="キャンバス"))
    await expect(page.locator(".react-flow__node")).to_have_count(4)
    await page.get_by_role("tab", name="問題").click()
    await audit.check("builder, the problems")

    await page.get_by_role("tab", name="テスト実行").click()
    await page.get_by_role("button", name="テスト実行", exact=True).click()
    await expect(page.get_by_role("list", name="たどる道筋").get_by_role("listitem")).to_have_count(4)
    await expect(page.locator(".enishi-node.on-path")).to_have_count(4)
    await audit.check("builder, a dry run")
    audit.assert_clean()


async def test_the_broadcasts_and_the_composer(page: Page, shop: Shop) -> None:
    await friends(shop)
    tomorrow = (datetime.now(TOKYO) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    scheduled = await shop.staff.post(
        f"{shop.api}/broadcasts",
        json={
            "name": "冬のセール告知",
            "messages": [{"type": "text", "text": "冬のセールを開催します！"}],
            "scheduled_at": tomorrow.isoformat(),
        },
    )
    assert scheduled.status_code == 201, scheduled.text
    now = await shop.staff.post(
        f"{shop.api}/broadcasts",
        json={"name": "営業時間のお知らせ", "messages": [{"type": "text", "text": "本日は18時までです"}]},
    )
    assert now.status_code == 201, now.text
    audit = Audit(page)

    await log_in(page, shop)
    await menu_link(page, "一斉配信").click()
    await expect(page.get_by_role("heading", name="一斉配信")).to_be_visible()
    await expect(page.get_by_role("link", name="冬のセール告知")).to_be_visible()
    await audit.check("broadcasts")

    await page.get_by_role("link", name="冬のセール告知").click()
    await expect(page.get_by_role("heading", name="冬のセール告知")).to_be_visible()
    await audit.check("a scheduled broadcast")

    await menu_link(page, "一斉配信").click()
    await page.get_by_role("link", name="営業時間のお知らせ").click()
    await expect(page.get_by_role("heading", name="営業時間のお知らせ")).to_be_visible()
    bar = page.get_by_role("progressbar", name="配信の進み具合")
    await expect(bar).to_have_attribute("aria-valuenow", "100", timeout=30_000)
    await expect(page.locator(".broadcast-status")).to_have_text("完了")
    await audit.check("a broadcast sent")

    await menu_link(page, "一斉配信").click()
    await page.get_by_role("link", name="新しい配信").click()
    await expect(page.get_by_role("heading", name="新しい配信")).to_be_visible()
    summary = page.get_by_role("complementary", name="配信の概要")
    await expect(summary.locator(".estimate-count")).to_have_text("2人に配信")
    await page.get_by_label("本文", exact=True).fill("冬のセールを開催します！")
    await audit.check("composer")

    await page.get_by_role("radio", name="条件で絞り込む").check()
    include = page.get_by_role("group", name="対象にする条件")
    await choose(page, include.get_by_label("条件の種類"), "タグ")
    await include.get_by_role("button", name="条件を追加").click()
    await include.get_by_role("region", name="タグ").get_by_role("checkbox", name="VIP").check()
    await expect(summary.locator(".estimate-count")).to_have_text("1人に配信")
    await audit.check("composer, a segment")

    await page.get_by_label("除外する友だちを指定する").check()
    exclude = page.get_by_role("group", name="除外する条件")
    await choose(page, exclude.locator(".segment-add").get_by_label("条件の種類"), "タグ")
    await exclude.get_by_role("button", name="条件を追加").click()
    await exclude.get_by_role("region", name="タグ").get_by_role("checkbox", name="春キャンペーン").check()
    await summary.get_by_text("テスト送信", exact=True).click()
    await expect(summary.get_by_label("送信先（自分のLINEアカウントやシミュレーターのユーザー）")).to_be_visible()
    await audit.check("composer, a segment with an exclusion and the test send")
    audit.assert_clean()


async def test_the_reports(page: Page, shop: Shop) -> None:
    hanako = await friends(shop)
    day = datetime.now(TOKYO) - timedelta(days=2)
    async with shop.env.db.transaction(shop.workspace.id) as s:
        flyer = Route(name="チラシ", code=uuid.uuid4().hex[:12])
        s.add(flyer)
        await s.flush()
        s.add_all(Visit(route_id=flyer.id, ref=uuid.uuid4().hex[:8], visited_at=day) for _ in range(3))
        s.add(FirstRoute(friend_id=hanako["id"], route_id=flyer.id, at=day))
    audit = Audit(page)

    await log_in(page, shop)
    await menu_link(page, "分析").click()
    await expect(page.get_by_role("heading", name="分析", exact=True)).to_be_visible()
    await audit.check("reports")

    await page.get_by_role("link", name="流入経路分析", exact=True).click()
    await expect(page.get_by_role("heading", name="流入経路分析", exact=True)).to_be_visible()
    await page.get_by_role("group", name="流入経路").get_by_label("チラシ").check()
    await audit.check("a report's conditions")
    await page.get_by_role("button", name="集計する").click()
    await expect(page.get_by_role("table", name="集計表")).to_be_visible()
    await expect(page.get_by_role("figure", name="グラフ")).to_be_visible()
    await audit.check("a report's result")

    await page.get_by_role("link", name="分析", exact=True).first.click()
    await page.get_by_role("link", name="クロス分析", exact=True).click()
    await expect(page.get_by_role("heading", name="クロス分析", exact=True)).to_be_visible()
    await choose(page, page.locator("#params_rows_kind"), "タグ")
    await page.locator("#params_rows_tag_ids").get_by_label("VIP").check()
    await choose(page, page.locator("#params_columns_kind"), "友だち追加の月")
    await expect(page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")).to_have_count(0)  # closed
    await audit.check("cross analysis, its conditions")
    await page.get_by_role("button", name="集計する").click()
    await expect(page.get_by_role("table", name="ヒートマップ")).to_be_visible()
    await audit.check("cross analysis, the heat map")

    await page.get_by_role("link", name="分析", exact=True).first.click()
    await page.get_by_role("link", name="ファネル分析", exact=True).click()
    await expect(page.get_by_role("heading", name="ファネル分析", exact=True)).to_be_visible()
    await page.locator("fieldset#params_stages").get_by_role("button", name="追加", exact=True).click()
    await page.locator("#params_stages_0_label").fill("VIP")
    await choose(page, page.locator("#params_stages_0_type"), "タグ")
    await page.locator("#params_stages_0_config_tag_ids").get_by_label("VIP").check()
    await expect(page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")).to_have_count(0)  # closed
    await audit.check("funnel, its conditions")
    audit.assert_clean()


async def test_the_settings(page: Page, shop: Shop) -> None:
    await friends(shop)
    audit = Audit(page)

    await log_in(page, shop)
    await menu_link(page, "設定").click()
    await expect(page.get_by_role("heading", name="設定", exact=True)).to_be_visible()
    await expect(page.get_by_role("heading", name="タグ", exact=True)).to_be_visible()
    await expect(page.get_by_text("春キャンペーン")).to_be_visible()
    await audit.check("settings, tags")

    settings = page.get_by_role("navigation", name="設定メニュー")
    await settings.get_by_role("link", name="基本設定・LINE", exact=True).click()
    await expect(settings.get_by_role("link", name="基本設定・LINE", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    await expect(page.locator("#workspace-title")).to_be_visible()
    await audit.check("settings, workspace")

    # Every other page of the settings menu, as drawn when opened.
    links = await settings.get_by_role("link").evaluate_all(
        "links => links.map(a => [a.textContent.trim(), a.getAttribute('href')])"
    )
    for name, _href in links:
        if name in ("タグ", "基本設定・LINE"):
            continue
        link = settings.get_by_role("link", name=name, exact=True)
        await link.click()
        await expect(link).to_have_attribute("aria-current", "page")
        await expect(page.locator(".loading")).to_have_count(0)
        await audit.check(f"settings, {name}")
        # A resource's page opens its form for a new row on 追加.
        add = page.get_by_role("main").get_by_role("button", name="追加", exact=True)
        if await add.count() == 1:
            await add.click()
            await expect(page.get_by_role("form").first).to_be_visible()
            await audit.check(f"settings, {name}, a new row's form")
    audit.assert_clean()


async def log_in_to_agency(page: Page, live: Env, email: str) -> None:
    await page.goto(live.settings.public_url + "/login")
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    await page.get_by_role("link", name="代理店", exact=True).click()
    await expect(page.get_by_role("heading", name="代理店", exact=True)).to_be_visible()


async def test_the_agency_view(page: Page, live: Env) -> None:
    owner = await live.user("owner@agency.example", name="代理店オーナー")
    agency = await live.agency("縁エージェンシー", owner=owner)
    await live.workspace(agency, "縁カフェ", plan="pro")
    await live.workspace(agency, "縁ヘア", plan="start")
    audit = Audit(page)

    await log_in_to_agency(page, live, "owner@agency.example")
    await expect(page.get_by_role("rowheader")).to_have_text(["縁カフェ", "縁ヘア"])
    await audit.check("agency")
    audit.assert_clean()


async def test_the_agency_view_of_a_platform_admin(page: Page, live: Env) -> None:
    await live.user("admin@enishi.example", admin=True, name="運営")
    owner = await live.user("owner@agency.example")
    await live.workspace(await live.agency("縁エージェンシー", owner=owner), "縁カフェ", plan="pro")
    audit = Audit(page)

    await log_in_to_agency(page, live, "admin@enishi.example")
    await expect(page.get_by_role("rowheader")).to_have_text(["縁カフェ"])
    await audit.check("agency, a platform admin")
    for tab in await page.get_by_role("tab").all_inner_texts():
        await page.get_by_role("tab", name=tab.strip(), exact=True).click()
        await expect(page.get_by_role("tab", name=tab.strip(), exact=True)).to_have_attribute("aria-selected", "true")
        await expect(page.locator(".loading")).to_have_count(0)
        await audit.check(f"agency, {tab.strip()}")
    await page.get_by_role("tab", name="プラン").click()
    plans = page.get_by_role("table", name="プラン")
    await plans.get_by_role("button", name="スタンダードを編集").click()
    await expect(page.get_by_role("form", name="スタンダードを編集")).to_be_visible()
    await audit.check("agency, a plan's form")
    audit.assert_clean()


async def test_the_main_pages_in_english(page: Page, shop: Shop) -> None:
    hanako = await friends(shop)
    base = f"{shop.env.settings.public_url}/w/{shop.workspace.id}"
    audit = Audit(page)

    await log_in(page, shop)
    await choose(page, page.get_by_label("表示言語"), "English")
    await expect(page.get_by_role("heading", name="Friends", exact=True)).to_be_visible()
    await expect(page.locator("table.friends-table tbody tr")).to_have_count(2)
    await audit.check("friend list")
    pages = {
        "a friend's page": (f"/friends/{hanako['id']}", "花子"),
        "inbox, a conversation": (f"/inbox/{hanako['id']}", "Inbox"),
        "scenarios": ("/scenarios", "Scenarios"),
        "composer": ("/broadcasts/new", "New broadcast"),
        "reports": ("/reports", "Reports"),
        "settings, tags": ("/settings", "Settings"),
        "settings, workspace": ("/settings/workspace", "Settings"),
    }
    for where, (path, heading) in pages.items():
        await page.goto(base + path)
        await expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
        await expect(page.locator(".loading")).to_have_count(0)
        await audit.check(where)
    audit.assert_clean()
