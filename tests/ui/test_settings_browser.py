"""The console's settings area in a real browser, as a shop's owner sets the workspace up.

Tags in folders, a response mark, a friend field; an inflow route with an action on entry and its QR code as a
download; a plugin switched off (its page leaves the menu) and one the plan does not include (with the reason);
staff invited with a role, who join only on accepting after signing in (in a browser of their own), and the
role matrix; and bad input answered by the server next to the field it concerns. Screenshots are kept in
``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from playwright.async_api import Browser, Dialog, Error, Locator, Page, expect

from enishi.models import User, Workspace
from enishi.tenancy.workspaces import add_member
from tests.line.emulator.test_simulator_browser import OUTSIDE, Shop, _outside
from tests.ui.antd import choose, chosen
from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)
OWNER = "owner@shop.example"
HANAKO_PASSWORD = "a-long-enough-secret-42"


async def open_settings(page: Page, shop: Shop, sub: str | None = None) -> None:
    """Log in, open 設定 from the menu and, given one, a page of its own menu."""
    from tests.conftest import PASSWORD

    page.on("dialog", accept)
    await page.goto(shop.env.settings.public_url + "/")
    await page.get_by_label("メールアドレス").fill(OWNER)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("heading", name="友だち", exact=True)).to_be_visible()
    await page.get_by_role("navigation", name="メニュー").get_by_role("link", name="設定").click()
    await expect(page.get_by_role("heading", name="設定", exact=True)).to_be_visible()
    if sub:
        await settings_link(page, sub).click()
        await expect(settings_link(page, sub)).to_have_attribute("aria-current", "page")


async def accept(dialog: Dialog) -> None:
    """Confirmations (delete …) are answered yes."""
    await dialog.accept()


def settings_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="設定メニュー").get_by_role("link", name=name, exact=True)


def field(scope: Page | Locator, name: str) -> Locator:
    """A form field by its key (data-field), to look for the message shown next to it."""
    return scope.locator(f'[data-field="{name}"]')


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"settings-{name}.png", full_page=True)


async def get(shop: Shop, path: str, **params: Any) -> Any:
    response = await shop.staff.get(f"{shop.api}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@asynccontextmanager
async def own_browser(browser: Browser, shop: Shop) -> AsyncIterator[Page]:
    """Another person's browser (a profile of its own, as the test's page has); it must not throw either."""
    context = await browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 800}
    )
    await context.route(OUTSIDE, _outside)
    other = await context.new_page()
    thrown: list[Error] = []
    other.on("pageerror", lambda error: thrown.append(error))
    try:
        yield other
    finally:
        await context.close()
    assert not thrown, f"the other person's page threw: {thrown}"


async def join_staff(shop: Shop, email: str, name: str, role: str = "operator") -> None:
    """Someone joins the shop's staff the only way there is: the owner invites them (a new account with a first
    password), they sign in and accept the invitation."""
    password = "long-pw-77-abc"
    body = {"email": email, "role": role, "display_name": name, "password": password}
    invited = await shop.staff.post(f"{shop.api}/staff", json=body)
    assert invited.status_code == 201, invited.text
    person = await shop.env.login(email, password)
    [invitation] = (await person.get("/api/auth/invitations")).json()
    assert invitation["workspace_id"] == shop.workspace.id
    accepted = await person.post(f"/api/auth/invitations/{invitation['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text


async def test_tags_in_folders_a_mark_and_a_field_with_the_servers_errors_next_to_the_fields(
    page: Page, shop: Shop
) -> None:
    await open_settings(page, shop)
    # Settings open on the first page of their menu: the tags.
    await expect(page.get_by_role("heading", name="タグ", exact=True)).to_be_visible()

    folders = page.get_by_role("navigation", name="タグのフォルダ")
    await folders.get_by_label("新しいフォルダ").fill("キャンペーン")
    await folders.get_by_role("button", name="フォルダを作成").click()
    # The new folder is opened, so a tag made now goes into it.
    campaign = folders.get_by_role("button", name=re.compile("^キャンペーン"))
    await expect(campaign).to_have_attribute("aria-current", "true")
    new_tag = page.get_by_role("form", name="新しいタグ")
    await expect(chosen(new_tag.get_by_role("combobox", name="フォルダ"))).to_have_text("キャンペーン")
    await new_tag.get_by_label("タグ名").fill("春セール")
    await new_tag.get_by_role("button", name="タグを作成").click()
    row = page.locator('tr[data-tag="春セール"]')
    await expect(row).to_be_visible()

    # The same name again: the server's refusal appears under the name field.
    await new_tag.get_by_label("タグ名").fill("春セール")
    await new_tag.get_by_role("button", name="タグを作成").click()
    await expect(field(new_tag, "name").locator(".field-error")).to_have_text("already taken")

    # Pin it as a friend-list column, rename the folder.
    # (the box follows the saved state, so it is clicked rather than "checked")
    await row.get_by_label("「春セール」を友だち一覧の列に表示").click()
    await expect(row.get_by_label("「春セール」を友だち一覧の列に表示")).to_be_checked()
    folder_form = page.get_by_role("form", name="フォルダの設定")
    await folder_form.get_by_label("フォルダ名").fill("春のキャンペーン")
    await folder_form.get_by_role("button", name="名前を変更").click()
    await expect(folders.get_by_role("button", name=re.compile("^春のキャンペーン"))).to_be_visible()
    [tag] = await get(shop, "/tags/")
    [folder] = await get(shop, "/tags/folders")
    assert (tag["name"], tag["folder_id"], tag["pinned"]) == ("春セール", folder["id"], True)
    assert folder["name"] == "春のキャンペーン"

    # Moved out of the folder, then the folder deleted: the tag stays.
    await folders.get_by_role("button", name=re.compile("^すべて")).click()
    await choose(page, row.get_by_role("combobox", name="「春セール」のフォルダ"), "未分類")
    await expect(chosen(row.get_by_role("combobox", name="「春セール」のフォルダ"))).to_have_text("未分類")
    await shot(page, "tags")
    await folders.get_by_role("button", name=re.compile("^春のキャンペーン")).click()
    await page.get_by_role("button", name="フォルダを削除").click()
    await page.locator(".ant-popconfirm").get_by_role("button", name="削除").click()
    await expect(folders.get_by_role("button", name=re.compile("^春のキャンペーン"))).to_have_count(0)
    await expect(row).to_be_visible()
    assert await get(shop, "/tags/folders") == []
    # A tag of its own, made and deleted again (after the confirmation).
    await new_tag.get_by_label("タグ名").fill("試し")
    await new_tag.get_by_role("button", name="タグを作成").click()
    await page.locator('tr[data-tag="試し"]').get_by_role("button", name="削除").click()
    await page.locator(".ant-popconfirm").get_by_role("button", name="削除").click()
    await expect(page.locator('tr[data-tag="試し"]')).to_have_count(0)
    assert [t["name"] for t in await get(shop, "/tags/")] == ["春セール"]

    # A response mark besides the three every workspace starts with, moved up one place.
    await settings_link(page, "対応マーク").click()
    new_mark = page.get_by_role("form", name="新しい対応マーク")
    await new_mark.get_by_label("マーク名").fill("折り返し待ち")
    await new_mark.get_by_role("button", name="対応マークを作成").click()
    await expect(page.locator("tr[data-mark]").last).to_have_attribute("data-mark", "折り返し待ち")
    await page.get_by_role("button", name="「折り返し待ち」を上へ").click()
    await expect(page.locator("tr[data-mark]").nth(2)).to_have_attribute("data-mark", "折り返し待ち")
    marks = [m["label"] for m in await get(shop, "/response_marks/marks")]
    assert marks == ["要対応", "対応中", "折り返し待ち", "対応済"]
    await new_mark.get_by_label("マーク名").fill("要対応")
    await new_mark.get_by_role("button", name="対応マークを作成").click()
    await expect(field(new_mark, "label").locator(".field-error")).to_have_text("already taken")
    await shot(page, "marks")

    # A friend field: a key the server does not accept is shown at the key, then a good one.
    await settings_link(page, "友だち情報欄").click()
    await page.get_by_role("button", name="項目を追加").click()
    form = page.get_by_role("form", name="項目を追加")
    await form.get_by_label("キー").fill("会員ランク")
    await form.get_by_label("表示名", exact=True).fill("会員ランク")
    await choose(page, form.get_by_role("combobox", name="種類"), "選択（1つ）")
    await form.get_by_label("選択肢").fill("ゴールド\nシルバー\n")
    await form.get_by_label("フォルダ").fill("会員情報")
    await form.get_by_role("button", name="項目を作成").click()
    key_error = field(form, "key").locator(".field-error")
    await expect(key_error).to_be_visible()
    await expect(key_error).to_contain_text("^[a-z]")
    await shot(page, "field-error")
    await form.get_by_label("キー").fill("rank")
    await form.get_by_role("button", name="項目を作成").click()
    group = page.get_by_role("table", name="会員情報")
    await expect(group.locator('tr[data-field-key="rank"]')).to_contain_text("選択（1つ）")
    await expect(group.locator('tr[data-field-key="rank"]')).to_contain_text("ゴールド、シルバー")
    [made] = [f for f in await get(shop, "/friend_fields/fields") if f["key"] == "rank"]
    assert (made["label"], made["type"], made["options"], made["group"]) == (
        "会員ランク",
        "select",
        ["ゴールド", "シルバー"],
        "会員情報",
    )
    await shot(page, "fields")


async def test_an_inflow_route_with_an_action_on_entry_and_its_qr_code(page: Page, shop: Shop) -> None:
    response = await shop.staff.post(f"{shop.api}/tags", json={"name": "店頭から"})
    assert response.status_code == 201, response.text
    tag_id = response.json()["id"]
    await open_settings(page, shop, "流入経路")

    await page.get_by_role("button", name="経路を追加").click()
    form = page.get_by_role("form", name="経路を追加")
    await form.get_by_label("経路名").fill("店頭POP")
    await form.get_by_label("フォルダ", exact=True).fill("店頭")
    await form.get_by_label("初回のみ").check()
    await choose(page, form.get_by_role("combobox", name="追加するアクション"), "タグを付ける")
    await form.get_by_role("button", name="アクションを追加").click()
    action = form.get_by_role("group", name="タグを付ける")
    await expect(action).to_be_visible()

    # No tag chosen: the server names the action's field, and it is shown in that action's box.
    await form.get_by_role("button", name="経路を作成").click()
    await expect(field(action, "actions.0").locator(".field-error").first).to_be_visible()
    await shot(page, "inflow-action-error")

    await action.get_by_role("checkbox", name="店頭から").check()
    await form.get_by_role("button", name="経路を作成").click()
    row = page.get_by_role("table", name="店頭").locator('tr[data-route="店頭POP"]')
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("初回のみ")
    [route] = await get(shop, "/inflow/routes")
    assert route["mode"] == "first_time" and route["folder"] == "店頭"
    assert [(a["type"], a["config"]) for a in route["actions"]] == [("tags.add_tag", {"tag_ids": [tag_id]})]
    await expect(row.get_by_label("「店頭POP」のURL")).to_have_value(route["url"])
    await row.get_by_role("button", name="コピー").click()
    await expect(row.get_by_role("button", name="コピーしました")).to_be_visible()

    async with page.expect_download() as png_download:
        await row.get_by_role("link", name="QR (PNG)").click()
    png = await png_download.value
    assert png.suggested_filename == f"inflow-route-{route['id']}.png"
    assert (await anyio.Path(await png.path()).read_bytes()).startswith(b"\x89PNG\r\n\x1a\n")
    async with page.expect_download() as svg_download:
        await row.get_by_role("link", name="QR (SVG)").click()
    assert b"<svg" in await anyio.Path(await (await svg_download.value).path()).read_bytes()
    await shot(page, "inflow")


async def test_plugins_switched_off_leave_the_menu_and_the_plan_says_why_one_cannot_be_on(
    page: Page, shop: Shop
) -> None:
    # A second workspace of the agency on the smallest plan, which does not include inflow routes.
    small = await shop.env.workspace(await agency_of(shop), "縁カフェ 2号店", plan="start")
    await open_settings(page, shop, "プラグイン")

    tags = page.locator('li[data-plugin="tags"]')
    await expect(tags.get_by_role("switch")).to_be_checked()
    await expect(settings_link(page, "タグ")).to_be_visible()
    await tags.get_by_role("switch").click()
    await expect(tags.get_by_role("switch")).not_to_be_checked()
    await expect(settings_link(page, "タグ")).to_have_count(0)
    assert "tags" not in (await get(shop, ""))["enabled_plugins"]
    await shot(page, "plugin-off")
    # The tags' page itself (its link is the plugin's resource name, the dot as a slash) says the plugin is off.
    tags_page = f"{shop.env.settings.public_url}/w/{shop.workspace.id}/settings/tags/tags"
    await page.goto(tags_page)
    await expect(page.get_by_text("このページのプラグインはこのワークスペースでオフになっています。")).to_be_visible()

    await settings_link(page, "プラグイン").click()
    await tags.get_by_role("switch").click()
    await expect(settings_link(page, "タグ")).to_be_visible()
    # Switched on again, the same link opens the page: the tags plugin's own (its module's), with the folders.
    await page.goto(tags_page)
    await expect(settings_link(page, "タグ")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_role("heading", name="タグ", exact=True)).to_be_visible()
    await expect(page.get_by_role("navigation", name="タグのフォルダ")).to_be_visible()
    await settings_link(page, "プラグイン").click()

    # The smaller plan's workspace: inflow routes cannot be switched on, and the reason is given.
    await choose(page, page.get_by_label("ワークスペース"), small.name)
    await expect(page.get_by_role("heading", name="設定", exact=True)).to_be_visible()
    await settings_link(page, "プラグイン").click()
    inflow = page.locator('li[data-plugin="inflow"]')
    await expect(inflow.get_by_role("switch")).to_be_disabled()
    await expect(inflow.get_by_role("switch")).not_to_be_checked()
    await expect(inflow.locator(".plan-reason")).to_have_text(
        "現在のプランでは使えません: プラン「スタート」に含まれていません"
    )
    await expect(settings_link(page, "流入経路")).to_have_count(0)
    await shot(page, "plugins-plan")


async def agency_of(shop: Shop) -> Any:
    from enishi.models import Agency

    async with shop.env.db.session() as s:
        return await s.get(Agency, shop.workspace.agency_id)


async def test_staff_invited_join_by_accepting_and_the_role_matrix_and_the_workspace_settings(
    page: Page, shop: Shop, browser: Browser
) -> None:
    await open_settings(page, shop, "スタッフ")
    form = page.get_by_role("form", name="スタッフを追加")
    staff_list = page.get_by_role("table", name="スタッフ", exact=True)
    pending = page.get_by_role("table", name="承諾待ちの招待", exact=True)
    await expect(staff_list).to_be_visible()

    # An email nobody has an account for, without a password: invited like anyone else, with no error and nothing
    # said about whether an account exists; nobody joins until the invitation is accepted.
    await form.get_by_label("メールアドレス").fill("nobody@elsewhere.example")
    await choose(page, form.get_by_label("役割"), "閲覧のみ")
    await form.get_by_role("button", name="スタッフを追加").click()
    await expect(page.get_by_role("status").filter(has_text="nobody@elsewhere.example")).to_have_text(
        "nobody@elsewhere.example さんを招待しました。承諾されるとスタッフに加わります。"
    )
    await expect(form.locator(".field-error")).to_have_count(0)
    nobody = pending.locator('tr[data-invitation="nobody@elsewhere.example"]')
    await expect(nobody).to_contain_text("閲覧のみ")
    await expect(staff_list.locator('tr[data-staff="nobody@elsewhere.example"]')).to_have_count(0)
    # Revoked again (after the confirmation): the table of invitations awaiting an answer goes.
    await nobody.get_by_role("button", name="取り消す").click()
    await expect(pending).to_have_count(0)
    assert await get(shop, "/staff/invitations") == []

    # Hanako has no account yet: the owner gives a name and a first password with the invitation.
    await form.get_by_label("メールアドレス").fill("hanako@shop.example")
    await choose(page, form.get_by_label("役割"), "オペレーター")
    await form.get_by_label("表示名").fill("花子")
    await form.get_by_label("初期パスワード").fill(HANAKO_PASSWORD)
    await form.get_by_role("button", name="スタッフを追加").click()
    await expect(page.get_by_role("status").filter(has_text="hanako@shop.example")).to_have_text(
        "hanako@shop.example さんを招待しました。承諾されるとスタッフに加わります。"
    )
    await expect(form.get_by_label("メールアドレス")).to_have_value("")
    await expect(pending.locator('tr[data-invitation="hanako@shop.example"]')).to_contain_text("オペレーター")
    await expect(staff_list.locator('tr[data-staff="hanako@shop.example"]')).to_have_count(0)
    assert "hanako@shop.example" not in {s["email"] for s in await get(shop, "/staff")}
    await shot(page, "staff-invited")

    # Hanako signs in in her own browser: no workspace yet, and the shop's invitation to answer.
    async with own_browser(browser, shop) as hanako:
        await hanako.goto(shop.env.settings.public_url + "/")
        await hanako.get_by_label("メールアドレス").fill("hanako@shop.example")
        await hanako.get_by_label("パスワード").fill(HANAKO_PASSWORD)
        await hanako.get_by_role("button", name="ログイン").click()
        await expect(hanako.get_by_text("参加しているワークスペースがありません。")).to_be_visible()
        invitations = hanako.get_by_role("region", name="ワークスペースへの招待")
        offer = invitations.locator('li[data-invitation="縁カフェ"]')
        await expect(offer).to_contain_text("縁カフェ に「オペレーター」として招待されています")
        await expect(offer).to_contain_text("スタッフさんから")  # the owner's name
        await offer.get_by_role("button", name="参加する").click()
        # She is staff now: the invitation is answered and the shop's console opens.
        await expect(invitations).to_have_count(0)
        await expect(hanako.get_by_role("heading", name="友だち", exact=True)).to_be_visible()
        await expect(chosen(hanako.get_by_label("ワークスペース"))).to_have_text(shop.workspace.name)
        await shot(hanako, "staff-joined")

    # The owner's staff page, opened again, lists her with the role she was invited with; nothing is pending.
    await page.reload()
    row = staff_list.locator('tr[data-staff="hanako@shop.example"]')
    await expect(row).to_be_visible()
    await expect(chosen(row.get_by_label("花子さんの役割"))).to_have_text("オペレーター")
    await expect(pending).to_have_count(0)
    await choose(page, row.get_by_label("花子さんの役割"), "閲覧のみ")
    await expect(chosen(row.get_by_label("花子さんの役割"))).to_have_text("閲覧のみ")
    staff = {s["email"]: s["role"] for s in await get(shop, "/staff")}
    assert staff["hanako@shop.example"] == "viewer"
    await shot(page, "staff")

    # The role matrix: operators lose the right to manage tags.
    await settings_link(page, "役割と権限").click()
    box = page.get_by_role("checkbox", name="オペレーター: タグとタグフォルダの作成・編集・削除", exact=True)
    await expect(page.get_by_role("rowheader", name="タグとタグフォルダの作成・編集・削除")).to_be_visible()
    await expect(page.get_by_text("tags.manage")).to_have_count(0)  # the key is for the API, not for people
    was = await box.is_checked()
    await box.click()
    await expect(box).to_be_checked(checked=not was)
    [perm] = [p for p in await get(shop, "/permissions") if p["key"] == "tags.manage"]
    assert ("operator" in perm["roles"]) is (not was)
    await shot(page, "roles")

    # The workspace: the time zone is picked from a list searched by name (no zone to mistype); the webhook URL is
    # there to copy.
    await settings_link(page, "基本設定・LINE").click()
    await page.get_by_label("タイムゾーン").fill("tokyo")
    await page.get_by_label("タイムゾーン").press("Enter")
    await expect(field(page, "timezone")).to_contain_text("Asia/Tokyo (UTC+09:00)")
    await page.get_by_label("ワークスペース名").fill("縁カフェ 本店")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_text("保存しました")).to_be_visible()
    assert (await get(shop, ""))["workspace"]["name"] == "縁カフェ 本店"
    await expect(page.get_by_label("Webhook URL")).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/"))
    # Secrets are never shown back.
    await expect(page.get_by_label("チャネルシークレット")).to_have_value("")
    await shot(page, "workspace")


async def test_member_card_design_and_an_assignment_pool(page: Page, shop: Shop) -> None:
    await join_staff(shop, "jiro@shop.example", "次郎")
    await open_settings(page, shop, "会員証")
    await page.get_by_label("会員証の名前").fill("縁カフェ会員証")
    await page.get_by_label("会員番号の接頭辞").fill("EN-")
    await page.get_by_label("番号の桁数").fill("6")
    await expect(page.get_by_text("次の会員番号: EN-000001")).to_be_visible()
    # The card starts with three ranks (0, 100, 500 points); a fourth from 500 points as well is refused at its
    # threshold by the server.
    await expect(page.get_by_role("group", name=re.compile("^ランク[0-9]+$"))).to_have_count(3)
    await page.get_by_role("button", name="ランクを追加").click()
    platinum = page.get_by_role("group", name="ランク4")
    await platinum.get_by_label("ランク名").fill("プラチナ")
    await platinum.get_by_label("基準ポイント").fill("500")
    await page.get_by_role("button", name="保存").click()
    await expect(field(page, "ranks.3.threshold").locator(".field-error")).to_have_text("同じ基準値のランクがあります")
    await expect(field(page, "ranks.2.threshold").locator(".field-error")).to_have_count(0)
    await shot(page, "member-card-error")
    await platinum.get_by_label("基準ポイント").fill("1000")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_text("保存しました")).to_be_visible()
    await expect(page.get_by_role("img", name="会員証のプレビュー")).to_contain_text("EN-000001")
    design = await get(shop, "/member_cards/design")
    assert (design["name"], design["number_prefix"], design["number_digits"]) == ("縁カフェ会員証", "EN-", 6)
    assert [(r["name"], r["threshold"]) for r in design["ranks"]] == [
        ("レギュラー", 0),
        ("シルバー", 100),
        ("ゴールド", 500),
        ("プラチナ", 1000),
    ]
    await shot(page, "member-card")

    # Assignment pools are drawn by the generic resource page from the plugin's schema.
    await settings_link(page, "振り分けグループ").click()
    await page.get_by_role("button", name="追加", exact=True).click()
    form = page.get_by_role("form", name="振り分けグループを追加")
    await form.get_by_label(re.compile("^名前")).fill("新規担当")
    # 次郎 twice: the server's refusal is shown at the second member's staff field.
    for _ in range(2):
        await form.get_by_role("button", name="追加", exact=True).click()
    await choose(page, form.get_by_label("担当者", exact=True).nth(0), "次郎")
    await expect(page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")).to_have_count(0)
    await choose(page, form.get_by_label("担当者", exact=True).nth(1), "次郎")
    await form.get_by_label("重み").nth(0).fill("2")
    await form.get_by_role("button", name="作成").click()
    await expect(field(form, "members.1.user_id").locator(".field-error")).to_have_text("重複しています")
    await expect(field(form, "members.0.user_id")).to_have_count(0)
    await shot(page, "pool-error")
    await form.get_by_role("button", name="削除").nth(1).click()
    await form.get_by_role("button", name="作成").click()
    row = page.locator('tr[data-row="新規担当"]')
    await expect(row).to_be_visible()
    [pool] = await get(shop, "/assignment/pools")
    assert [(m["display_name"], m["weight"]) for m in pool["members"]] == [("次郎", 2)]
    await shot(page, "pools")

    # Renamed, then deleted after the confirmation.
    await row.get_by_role("button", name="「新規担当」を編集").click()
    form = page.get_by_role("form", name="「新規担当」を編集")
    await form.get_by_label(re.compile("^名前")).fill("受付チーム")
    await form.get_by_role("button", name="保存").click()
    row = page.locator('tr[data-row="受付チーム"]')
    await expect(row).to_be_visible()
    assert [p["name"] for p in await get(shop, "/assignment/pools")] == ["受付チーム"]
    await row.get_by_role("button", name="「受付チーム」を削除").click()
    await expect(row).to_have_count(0)
    assert await get(shop, "/assignment/pools") == []


async def test_message_templates_and_tag_folders_on_the_generic_resource_pages(page: Page, shop: Shop) -> None:
    """Pages the console draws from a plugin's resource alone: a list, a form from its schema, the server's
    objections at their field, editing and deleting."""
    await open_settings(page, shop, "定型文")
    await page.get_by_role("button", name="追加", exact=True).click()
    form = page.get_by_role("form", name="定型文を追加")
    await form.get_by_label(re.compile("^名前")).fill("来店のお礼")
    await form.get_by_role("button", name="テキスト", exact=True).click()
    await form.get_by_label("本文", exact=True).fill("{{friend.display_name}}さん、ご来店ありがとうございました!")
    await form.get_by_label(re.compile("^説明")).fill("来店の翌日に送ります")
    await form.get_by_role("button", name="作成").click()
    row = page.locator('tr[data-row="来店のお礼"]')
    await expect(row).to_contain_text("来店の翌日に送ります")
    [template] = (await get(shop, "/messages/templates"))["items"]
    assert template["messages"] == [
        {"type": "text", "text": "{{friend.display_name}}さん、ご来店ありがとうございました!"}
    ]

    # The same name again: the server's refusal is shown at the name, in Japanese.
    await page.get_by_role("button", name="追加", exact=True).click()
    form = page.get_by_role("form", name="定型文を追加")
    await form.get_by_label(re.compile("^名前")).fill("来店のお礼")
    await form.get_by_role("button", name="テキスト", exact=True).click()
    await form.get_by_label("本文", exact=True).fill("またお越しください")
    await form.get_by_role("button", name="作成").click()
    await expect(field(form, "name").locator(".field-error")).to_have_text("同じ名前の定型文が既にあります")
    await shot(page, "template-error")
    await form.get_by_role("button", name="キャンセル").click()

    await row.get_by_role("button", name="「来店のお礼」を編集").click()
    form = page.get_by_role("form", name="「来店のお礼」を編集")
    await form.get_by_label(re.compile("^名前")).fill("ご来店のお礼")
    await form.get_by_role("button", name="保存").click()
    row = page.locator('tr[data-row="ご来店のお礼"]')
    await expect(row).to_be_visible()
    await shot(page, "templates")
    await row.get_by_role("button", name="「ご来店のお礼」を削除").click()
    await expect(row).to_have_count(0)
    assert (await get(shop, "/messages/templates"))["items"] == []

    # Tag folders: the tag count comes with the list.
    await settings_link(page, "タグフォルダ").click()
    await page.get_by_role("button", name="追加", exact=True).click()
    form = page.get_by_role("form", name="タグフォルダを追加")
    await form.get_by_label(re.compile("^名前")).fill("来店状況")
    await form.get_by_role("button", name="作成").click()
    folder_row = page.locator('tr[data-row="来店状況"]')
    await expect(folder_row).to_contain_text("0")
    [folder] = await get(shop, "/tags/folders")
    assert folder["name"] == "来店状況"


async def test_the_audit_log_and_each_staff_members_last_sign_in(page: Page, shop: Shop) -> None:
    """操作履歴: who did what, in words, filtered by person and action (and dates, backwards ones refused at the
    field), a page at a time; and the staff list says when each member last signed in."""
    await join_staff(shop, "hanako@shop.example", "花子")  # she signs in to accept: her sign-in is recorded
    jiro = await shop.env.user("jiro@shop.example", name="次郎")  # made a member, never signed in
    async with shop.env.db.transaction() as s:
        await add_member(s, await s.get_one(Workspace, shop.workspace.id), await s.get_one(User, jiro.id), "viewer")
    hanako = await shop.env.login("hanako@shop.example", "long-pw-77-abc")
    for n in range(55):  # more than a page of entries, by two people
        made = await (hanako if n % 5 == 0 else shop.staff).post(f"{shop.api}/tags", json={"name": f"タグ{n:02}"})
        assert made.status_code == 201, made.text

    await open_settings(page, shop, "スタッフ")
    staff = page.get_by_role("table", name="スタッフ")
    await expect(staff.get_by_role("columnheader", name="最終ログイン")).to_be_visible()
    row = staff.get_by_role("row").filter(has=page.get_by_role("rowheader", name="花子"))
    await expect(row).to_contain_text(re.compile(r"\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}"))
    await expect(staff.get_by_role("row").filter(has_text="jiro@shop.example")).to_contain_text("未ログイン")
    await shot(page, "staff-last-sign-in")

    await settings_link(page, "操作履歴").click()
    log = page.get_by_role("table", name="操作履歴")
    await expect(log.get_by_role("row").nth(1)).to_contain_text("タグ管理: 作成")
    await expect(log).not_to_contain_text("tags.create_tag")
    await expect(log.get_by_role("row")).to_have_count(1 + 50)  # the header and one page
    await page.get_by_role("button", name="もっと見る").click()
    await expect(page.get_by_role("button", name="もっと見る")).to_have_count(0)
    assert await log.get_by_role("row").count() >= 1 + 55
    await expect(log.get_by_role("cell", name="花子").first).to_be_visible()
    await shot(page, "audit-log")

    await choose(page, page.get_by_label("操作した人"), "花子")
    await choose(page, page.get_by_label("操作", exact=True), "タグ管理: 作成")
    await expect(log.get_by_role("row")).to_have_count(1 + 11)
    await expect(log.get_by_role("cell", name="スタッフ", exact=True)).to_have_count(0)  # the owner's entries are gone
    # Dates: a day range of the workspace's time zone; backwards is said at the field.
    await page.get_by_label("開始日").fill("2030-01-02")
    await page.get_by_label("終了日").fill("2030-01-01")
    await expect(page.get_by_text("終了日は開始日以降の日付にしてください")).to_be_visible()
    await page.get_by_label("終了日").fill("2030-01-03")
    await expect(page.get_by_text("該当する操作はありません")).to_be_visible()
