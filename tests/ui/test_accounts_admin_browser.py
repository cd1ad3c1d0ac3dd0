"""Accounts under 代理店 › アカウント in a real browser: a platform admin sees every account (status, two-factor
sign-in, last sign-in), resets a password (typed, with the server's objection at the field, or generated and shown
once), ends someone's two-factor sign-in with it, deactivates after a confirmation and reactivates; deactivating
oneself is refused in plain Japanese on one's own row. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.async_api import Dialog, Locator, Page, expect
from sqlalchemy import select

from enishi.models import AuditEntry
from tests.conftest import Env
from tests.ui.conftest import ARTIFACTS
from tests.ui.test_agency_browser import log_in_to_agency

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
expect.set_options(timeout=10_000)

NEW_PASSWORD = "a-long-enough-secret-42"


def account_row(page: Page, name: str) -> Locator:
    return (
        page.get_by_role("table", name="アカウント")
        .locator("tbody tr")
        .filter(has=page.get_by_role("rowheader", name=name))
    )


async def signs_in(env: Env, email: str, password: str) -> int:
    """The status of a password-only sign-in (200, or 401 when refused or a two-factor code is asked for)."""
    return (await env.new_client().post("/api/auth/login", json={"email": email, "password": password})).status_code


async def test_a_platform_admin_resets_passwords_and_deactivates_accounts(page: Page, live: Env) -> None:
    await live.user("admin@enishi.example", admin=True, name="運営")
    await live.user("hanako@shop.example", name="花子")
    await live.user("jiro@shop.example", name="次郎")
    # 花子 has two-factor sign-in (and so has signed in once); 次郎 never signed in.
    hanako = await live.login("hanako@shop.example")
    secret = (await hanako.post("/api/auth/two-factor")).json()["secret"]
    confirmed = await hanako.post("/api/auth/two-factor/confirm", json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 204

    answers: list[bool] = []
    asked: list[str] = []

    async def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if answers.pop(0) else dialog.dismiss())

    page.on("dialog", answer)
    await log_in_to_agency(page, live, "admin@enishi.example")
    await page.get_by_role("tab", name="アカウント").click()
    table = page.get_by_role("table", name="アカウント")
    await expect(table.get_by_role("rowheader")).to_have_text(["運営 (自分)運営管理者", "花子", "次郎"])
    signed_in_at = re.compile(r"^\d{4}/\d{2}/\d{2} \d{1,2}:\d{2}$")
    await expect(account_row(page, "花子").locator("td")).to_have_text(
        ["hanako@shop.example", "有効", "オン", signed_in_at, re.compile("^パスワードを再設定")]
    )
    await expect(account_row(page, "次郎").locator("td").nth(3)).to_have_text("まだありません")
    await page.screenshot(path=ARTIFACTS / "agency-accounts.png")

    # One's own account stays: the server's refusal is said on one's row, in plain Japanese.
    me = account_row(page, "運営")
    answers.append(True)
    await me.get_by_role("button", name="運営を無効にする").click()
    await expect(me.get_by_role("alert")).to_have_text(
        "自分のアカウントは無効にできません。ほかの運営管理者に依頼してください。"
    )
    await expect(me.locator("td").nth(1)).to_have_text("有効")

    # 花子 lost her authenticator app: a new password, two-factor sign-in ended with it.
    await account_row(page, "花子").get_by_role("button", name="花子のパスワードを再設定").click()
    form = page.get_by_role("form", name="花子のパスワードを再設定")
    await form.get_by_label("新しいパスワード").fill("short")
    await form.get_by_role("button", name="再設定する").click()
    field = form.locator(".field").filter(has=page.get_by_label("新しいパスワード"))
    await expect(field.locator(".error")).to_have_text("パスワードは10文字以上にしてください")
    await page.screenshot(path=ARTIFACTS / "agency-accounts-reset.png")
    assert await signs_in(live, "hanako@shop.example", "short") == 401
    await form.get_by_label("新しいパスワード").fill(NEW_PASSWORD)
    await form.get_by_label("二段階認証も解除する").check()
    await form.get_by_role("button", name="再設定する").click()
    await expect(account_row(page, "花子").get_by_role("status")).to_have_text(
        "パスワードを再設定し、二段階認証を解除しました。この人はすべての端末からログアウトされました。"
    )
    await expect(account_row(page, "花子").locator("td").nth(2)).to_have_text("オフ")
    assert (await hanako.get("/api/auth/me")).status_code == 401  # signed out everywhere
    assert await signs_in(live, "hanako@shop.example", NEW_PASSWORD) == 200  # the password alone

    # 次郎 gets a generated password, shown once to be handed on.
    await account_row(page, "次郎").get_by_role("button", name="次郎のパスワードを再設定").click()
    form = page.get_by_role("form", name="次郎のパスワードを再設定")
    await expect(form.get_by_label("二段階認証も解除する")).to_have_count(0)  # he has none
    await form.get_by_role("button", name="自動で作る").click()
    await form.get_by_role("button", name="再設定する").click()
    hand_on = page.get_by_role("group", name="次郎さんの新しいパスワード")
    generated = await hand_on.get_by_label("新しいパスワード").input_value()
    assert len(generated) == 16
    await page.screenshot(path=ARTIFACTS / "agency-accounts-generated.png")
    assert await signs_in(live, "jiro@shop.example", generated) == 200
    await hand_on.get_by_role("button", name="閉じる").click()
    await expect(hand_on).to_have_count(0)

    # Deactivating asks first; declined, nothing changes.
    jiro = account_row(page, "次郎")
    answers.append(False)
    await jiro.get_by_role("button", name="次郎を無効にする").click()
    await expect(jiro.locator("td").nth(1)).to_have_text("有効")
    answers.append(True)
    await jiro.get_by_role("button", name="次郎を無効にする").click()
    await expect(jiro.locator("td").nth(1)).to_have_text("無効")
    await expect(jiro.get_by_role("status")).to_have_text("無効にしました。")
    assert asked[1].startswith("次郎(jiro@shop.example)を無効にしますか？")
    assert await signs_in(live, "jiro@shop.example", generated) == 401

    await jiro.get_by_role("button", name="次郎を有効に戻す").click()
    await expect(jiro.locator("td").nth(1)).to_have_text("有効")
    assert await signs_in(live, "jiro@shop.example", generated) == 200

    async with live.db.session() as s:
        actions = list(await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions.count("core.password_reset") == 2
    assert actions.count("core.user_deactivated") == 1  # one's own was refused, 次郎's declined once
    assert actions.count("core.user_activated") == 1
