"""The agency view (/agency) in a real browser: an agency's client workspaces with their plans and enabled plugins,
a new client workspace (with the server's objections on their fields), and plans, which only platform admins see
and edit. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Locator, Page, expect
from sqlalchemy import select

from enishi.db.base import utcnow
from enishi.models import Friend
from enishi.models.broadcasts import LineQuota
from tests.conftest import PASSWORD, Env
from tests.ui.antd import choose, chosen
from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)


async def log_in_to_agency(page: Page, env: Env, email: str) -> None:
    await page.goto(env.settings.public_url + "/login")
    await page.get_by_label("メールアドレス").fill(email)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    await page.get_by_role("link", name="代理店", exact=True).click()
    await expect(page.get_by_role("heading", name="代理店", exact=True)).to_be_visible()


def workspace_row(page: Page, name: str) -> Locator:
    return (
        page.get_by_role("table", name="クライアントのワークスペース")
        .locator("tbody tr")
        .filter(has=page.get_by_role("rowheader", name=name, exact=True))
    )


async def test_agency_view_lists_client_workspaces_with_plan_and_plugins_and_adds_one(page: Page, live: Env) -> None:
    owner = await live.user("owner@agency.example", name="代理店オーナー")
    agency = await live.agency("縁エージェンシー", owner=owner)
    cafe = await live.workspace(agency, "縁カフェ", plan="pro")
    salon = await live.workspace(agency, "縁ヘア", plan="start")
    await live.workspace(await live.agency("よその代理店"), "よその店")
    staff = await live.login("owner@agency.example")
    enabled = {w.id: (await staff.get(f"/api/workspaces/{w.id}")).json()["enabled_plugins"] for w in (cafe, salon)}
    assert "cross_analysis" in enabled[cafe.id] and "cross_analysis" not in enabled[salon.id]
    assert "tags" in enabled[salon.id]

    await log_in_to_agency(page, live, "owner@agency.example")
    section = page.get_by_role("region", name="縁エージェンシー")
    await expect(section.get_by_role("heading")).to_have_text("縁エージェンシー (オーナー)")
    await expect(page.get_by_role("rowheader")).to_have_text(["縁カフェ", "縁ヘア"])  # not the other agency's
    await expect(workspace_row(page, "縁カフェ").locator("td").first).to_have_text("プロ")
    await expect(workspace_row(page, "縁ヘア").locator("td").first).to_have_text("スタート")
    cafe_plugins = workspace_row(page, "縁カフェ").get_by_role("list", name="有効なプラグイン").locator("li")
    salon_plugins = workspace_row(page, "縁ヘア").get_by_role("list", name="有効なプラグイン").locator("li")
    await expect(cafe_plugins).to_have_count(len(enabled[cafe.id]))
    await expect(salon_plugins).to_have_count(len(enabled[salon.id]))
    await expect(cafe_plugins.filter(has_text="クロス分析")).to_have_count(1)
    await expect(salon_plugins.filter(has_text="クロス分析")).to_have_count(0)
    await expect(salon_plugins.filter(has_text="タグ管理")).to_have_count(1)
    # A non-admin sees no plans tab.
    await expect(page.get_by_role("tab", name="プラン")).to_have_count(0)
    await page.screenshot(path=ARTIFACTS / "agency-clients.png")

    # A new client: the server's objections land on their fields; nothing is created until they are fixed.
    await section.get_by_role("button", name="クライアントを追加").click()
    form = page.get_by_role("form", name="縁エージェンシーに新しいワークスペース")
    await form.get_by_label("ワークスペース名").fill("縁ベーカリー")
    await form.get_by_label("チャネルID").fill("123")
    await form.get_by_label("チャネルシークレット").fill(uuid.uuid4().hex)
    await form.get_by_label("チャネルアクセストークン").fill("token-" + uuid.uuid4().hex)
    await expect(form.get_by_label("プラン")).to_have_count(0)  # plans are the platform admin's to choose
    await form.get_by_role("button", name="作成").click()
    channel_field = form.locator(".field").filter(has=page.get_by_label("チャネルID"))
    await expect(channel_field).to_contain_text("LINE のチャネルIDは10桁の数字です")
    await expect(form.locator(".field.invalid")).to_have_count(1)
    assert [w["name"] for w in (await staff.get("/api/workspaces")).json()] == ["縁カフェ", "縁ヘア"]

    await form.get_by_label("チャネルID").fill(cafe.line_channel_id)  # already connected elsewhere
    await form.get_by_role("button", name="作成").click()
    await expect(channel_field).to_contain_text("このチャネルは既に別のワークスペースで使われています")

    await form.get_by_label("チャネルID").fill("2000000001")
    await form.get_by_role("button", name="作成").click()
    await expect(page.get_by_role("status")).to_have_text("「縁ベーカリー」を作成しました。")
    await expect(workspace_row(page, "縁ベーカリー").locator("td").first).to_have_text("スタート")
    await expect(workspace_row(page, "縁ベーカリー").get_by_role("list", name="有効なプラグイン")).to_be_visible()
    await workspace_row(page, "縁ベーカリー").get_by_role("link", name="縁ベーカリーを開く").click()
    await expect(chosen(page.get_by_label("ワークスペース"))).to_have_text("縁ベーカリー")


async def test_a_platform_admin_edits_a_plan_with_errors_shown_by_field(page: Page, live: Env) -> None:
    await live.user("admin@enishi.example", admin=True, name="運営")
    owner = await live.user("owner@agency.example")
    cafe = await live.workspace(await live.agency("縁エージェンシー", owner=owner), "縁カフェ", plan="pro")
    admin = await live.login("admin@enishi.example")

    await log_in_to_agency(page, live, "admin@enishi.example")
    # A platform admin moves a client to another plan; what it does not allow is turned off and said so.
    row = workspace_row(page, "縁カフェ")
    plan = row.get_by_role("combobox", name="縁カフェのプラン")
    await expect(chosen(plan)).to_have_text("プロ")
    await expect(row.get_by_role("list", name="有効なプラグイン").locator("li", has_text="クロス分析")).to_have_count(1)
    await choose(page, plan, "スタンダード")
    await expect(row.get_by_role("status")).to_contain_text("無効になったプラグイン:")
    await expect(row.get_by_role("status")).to_contain_text("クロス分析")
    await expect(row.get_by_role("list", name="有効なプラグイン").locator("li", has_text="クロス分析")).to_have_count(0)
    await expect(row.get_by_role("list", name="有効なプラグイン").locator("li", has_text="タグ管理")).to_have_count(1)
    moved = (await admin.get(f"/api/workspaces/{cafe.id}")).json()
    assert "cross_analysis" not in moved["enabled_plugins"] and "tags" in moved["enabled_plugins"]

    await page.get_by_role("tab", name="プラン").click()
    plans = page.get_by_role("table", name="プラン")
    await expect(plans.get_by_role("rowheader")).to_have_text(["スタート", "スタンダード", "プロ"])
    standard = plans.locator("tbody tr").filter(has=page.get_by_role("rowheader", name="スタンダード"))
    await expect(standard.locator("td")).to_have_text(
        ["standard", "スタンダード", "30,000", "10", "50,000", "段階に応じて", "編集"]
    )

    await standard.get_by_role("button", name="スタンダードを編集").click()
    form = page.get_by_role("form", name="スタンダードを編集")
    await form.get_by_label("月間メッセージ数の上限").fill("たくさん")
    await form.get_by_role("button", name="保存").click()
    messages = form.locator(".field").filter(has=page.get_by_label("月間メッセージ数の上限"))
    await expect(messages).to_contain_text("0以上の整数で入力してください")

    await form.get_by_label("月間メッセージ数の上限").fill("45000")
    await form.get_by_label("スタッフ数の上限").fill("")
    await form.get_by_label("選んだプラグインだけ").check()
    await form.get_by_role("list", name="選んだプラグインだけ").get_by_label("タグ管理").check()
    await form.get_by_role("list", name="選んだプラグインだけ").get_by_label("クロス分析").check()
    await page.screenshot(path=ARTIFACTS / "agency-plan-form.png")
    await form.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status")).to_have_text("プラン「スタンダード」を保存しました。")
    await expect(standard.locator("td")).to_have_text(
        ["standard", "スタンダード", "45,000", "無制限", "50,000", "タグ管理、クロス分析", "編集"]
    )
    saved = next(p for p in (await admin.get("/api/plans")).json() if p["key"] == "standard")
    assert (saved["monthly_messages"], saved["staff_seats"]) == (45000, None)
    assert sorted(saved["allowed_plugins"]) == ["cross_analysis", "tags"]

    # A new plan under a key in use: the server's 409 lands on the key.
    await page.get_by_role("button", name="プランを追加").click()
    form = page.get_by_role("form", name="プランを追加")
    await form.get_by_label("キー").fill("pro")
    await form.get_by_label("名前(日本語)").fill("プロ2")
    await form.get_by_label("名前(英語)").fill("Pro 2")
    await form.get_by_role("button", name="保存").click()
    await expect(form.locator(".field").filter(has=page.get_by_label("キー"))).to_contain_text("already used")
    await form.get_by_label("キー").fill("enterprise")
    tier = form.get_by_label("料金プランの段階", exact=True)
    await choose(page, tier, "プロ")
    await expect(chosen(tier)).to_have_text("プロ")
    await form.get_by_role("button", name="保存").click()
    await expect(plans.get_by_role("rowheader")).to_have_text(["スタート", "スタンダード", "プロ", "プロ2"])
    await page.screenshot(path=ARTIFACTS / "agency-plans.png")


async def test_a_new_agency_makes_its_first_client_workspace(page: Page, live: Env) -> None:
    owner = await live.user("new@agency.example", name="新しい代理店")
    await live.agency("はじまり代理店", owner=owner)

    await page.goto(live.settings.public_url + "/login")
    await page.get_by_label("メールアドレス").fill("new@agency.example")
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    # With no workspace yet, signing in leads to the agency view.
    await expect(page.get_by_role("heading", name="代理店", exact=True)).to_be_visible()
    assert page.url.endswith("/agency")
    section = page.get_by_role("region", name="はじまり代理店")
    await expect(section).to_contain_text("まだワークスペースはありません。")
    await section.get_by_role("button", name="クライアントを追加").click()
    form = page.get_by_role("form", name="はじまり代理店に新しいワークスペース")
    await form.get_by_label("ワークスペース名").fill("一号店")
    await form.get_by_label("チャネルID").fill("2000000002")
    await form.get_by_label("チャネルシークレット").fill(uuid.uuid4().hex)
    await form.get_by_label("チャネルアクセストークン").fill("token-" + uuid.uuid4().hex)
    await form.get_by_role("button", name="作成").click()
    await expect(workspace_row(page, "一号店").locator("td").first).to_have_text("スタート")
    await workspace_row(page, "一号店").get_by_role("link", name="一号店を開く").click()
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()
    await expect(chosen(page.get_by_label("ワークスペース"))).to_have_text("一号店")


async def test_each_client_shows_its_friends_messages_this_month_and_quota(page: Page, live: Env) -> None:
    """The numbers come from the workspaces' own data and the quota last cached: no call to LINE on the way."""
    owner = await live.user("owner@agency.example", name="代理店オーナー")
    agency = await live.agency("縁エージェンシー", owner=owner)
    cafe = await live.workspace(agency, "縁カフェ", plan="pro")
    salon = await live.workspace(agency, "縁ヘア", plan="start")
    async with live.db.transaction(cafe.id) as s:
        s.add_all(Friend(line_user_id=f"U{uuid.uuid4().hex}") for _ in range(1234))
        s.add(Friend(line_user_id=f"U{uuid.uuid4().hex}", status="blocked"))
        s.add(LineQuota(quota_type="limited", monthly_limit=15000, consumption=5678, fetched_at=utcnow()))
    async with live.db.transaction(salon.id) as s:
        s.add(Friend(line_user_id=f"U{uuid.uuid4().hex}"))

    await log_in_to_agency(page, live, "owner@agency.example")
    table = page.get_by_role("table", name="クライアントのワークスペース")
    for header in ("友だち数", "今月の送信数", "今月の上限"):
        await expect(table.get_by_role("columnheader", name=header)).to_be_visible()
    cafe_row, salon_row = workspace_row(page, "縁カフェ"), workspace_row(page, "縁ヘア")
    await expect(cafe_row).to_contain_text("1,234")
    await expect(cafe_row).to_contain_text("5,678")
    await expect(cafe_row).to_contain_text("15,000通")
    await expect(salon_row.locator("td").nth(1)).to_have_text("1")
    await expect(salon_row.get_by_text("未取得")).to_have_count(2)  # not fetched from LINE this month yet
    await page.screenshot(path=ARTIFACTS / "agency-client-numbers.png")
    # The cached numbers, not the emulated channel's own; and no refresh was even queued.
    async with live.db.session(cafe.id) as s:
        assert (await s.scalar(select(LineQuota.requested_at))) is None
