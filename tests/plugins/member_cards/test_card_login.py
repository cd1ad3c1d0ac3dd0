"""The card page through LINE Login against the embedded emulator: the logged-in friend sees their own card; a
forged or replayed login, a bad id_token, a workspace without a login channel or with the plugin off do not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from enishi import run_action
from enishi.models import LineRequest
from tests.line.login_flow import LoginShop, log_in, login_shop, until


@pytest.fixture
async def shop(database_url: str, tmp_path: Path) -> AsyncIterator[LoginShop]:
    async with login_shop(database_url, tmp_path) as s:
        yield s


async def card_design(shop: LoginShop) -> None:
    body = {"name": "縁カフェ会員証", "number_prefix": "EN", "number_digits": 6, "issue_on_follow": True}
    response = await shop.staff.put(shop.ws("/member_cards/design"), json=body)
    assert response.status_code == 200, response.text


async def card_of(shop: LoginShop, friend_id: int) -> dict[str, Any] | None:
    response = await shop.staff.get(shop.ws(f"/member_cards/cards/{friend_id}"))
    return dict(response.json()) if response.status_code == 200 else None


def start(shop: LoginShop, workspace_id: int | None = None) -> str:
    return f"/p/member_cards/login/{workspace_id or shop.workspace_id}"


async def test_the_logged_in_friend_sees_their_own_card(shop: LoginShop) -> None:
    await card_design(shop)
    hanako, hanako_id = await shop.new_friend("花子")
    ren, ren_id = await shop.new_friend("蓮")
    hanako_card = await until(lambda: card_of(shop, hanako_id))  # issued on follow
    ren_card = await until(lambda: card_of(shop, ren_id))
    assert hanako_card is not None and ren_card is not None
    changed = await shop.staff.post(
        shop.ws("/member_cards/points"), json={"member_number": hanako_card["member_number"], "delta": 120}
    )
    assert changed.status_code == 200, changed.text

    page = await log_in(shop.browser(), start(shop), hanako)

    assert page.status_code == 200, page.text
    assert page.url.path == "/p/member_cards/login"
    assert page.headers["cache-control"] == "no-store"
    assert page.text.count("<svg") == 2  # Code128 and QR
    assert hanako_card["member_number"] in page.text and "120 pt" in page.text
    assert ren_card["member_number"] not in page.text
    other = await log_in(shop.browser(), start(shop), ren)
    assert other.status_code == 200 and ren_card["member_number"] in other.text


async def test_a_line_user_without_a_card_is_told_so(shop: LoginShop) -> None:
    await card_design(shop)
    stranger = shop.emulator.add_user(shop.channel_id, "通りすがり")  # never added the account
    page = await log_in(shop.browser(), start(shop), stranger.user_id)
    assert page.status_code == 404 and "まだ発行されていません" in page.text


async def test_forged_replayed_and_bad_logins_show_no_card(shop: LoginShop) -> None:
    await card_design(shop)
    hanako, hanako_id = await shop.new_friend("花子")
    card = await until(lambda: card_of(shop, hanako_id))
    assert card is not None
    number = card["member_number"]

    forged = await shop.browser().get("/p/member_cards/login?code=abc&state=forged-state")
    assert forged.status_code == 400 and number not in forged.text

    browser = shop.browser(follow=False)
    answer = await log_in(browser, start(shop), hanako)
    callback = answer.headers["location"]
    assert (await browser.get(callback)).status_code == 200
    replay = await browser.get(callback)
    assert replay.status_code == 400 and "既に使われています" in replay.text and number not in replay.text

    await shop.set_id_token_fault("signature")
    tampered = await log_in(shop.browser(), start(shop), hanako)
    assert tampered.status_code == 400 and number not in tampered.text


async def test_no_login_channel_or_plugin_off_is_not_found(shop: LoginShop) -> None:
    await card_design(shop)
    browser = shop.browser(follow=False)
    assert (await browser.get(start(shop))).status_code == 302
    assert (await browser.get(start(shop, 987_654))).status_code == 404  # no such workspace
    off = await shop.staff.put(shop.ws("/plugins/member_cards"), json={"enabled": False})
    assert off.status_code == 200, off.text
    assert (await browser.get(start(shop))).status_code == 404
    on = await shop.staff.put(shop.ws("/plugins/member_cards"), json={"enabled": True})
    assert on.status_code == 200, on.text
    removed = await shop.staff.patch(shop.ws(), json={"login_channel_id": None})
    assert removed.status_code == 200, removed.text
    refused = await browser.get(start(shop))
    assert refused.status_code == 404 and "会員証が見つかりません" in refused.text


async def test_the_link_action_sends_the_line_login_url_which_shows_the_friends_card(shop: LoginShop) -> None:
    await card_design(shop)
    hanako, hanako_id = await shop.new_friend("花子")
    async with shop.env.context(shop.workspace_id) as ctx:
        result = await run_action(
            ctx,
            "member_cards.send_card_link",
            None,
            hanako_id,
            {"text": "会員証はこちら", "minutes": 30},
            idempotency_key="card-link-1",
            source="scenario",
        )
    async with shop.env.db.session(shop.workspace_id) as s:
        sent = await s.get_one(LineRequest, result["line_request_id"])
    text = sent.messages[0]["text"]
    assert text == f"会員証はこちら\n{shop.base}{start(shop)}"  # no token that expires or works for anyone else
    page = await log_in(shop.browser(), start(shop), hanako)  # opened in LINE: LINE Login knows who it is
    assert page.status_code == 200 and result["member_number"] in page.text
