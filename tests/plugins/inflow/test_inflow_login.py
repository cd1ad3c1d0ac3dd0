"""Inflow routes through LINE Login against the embedded emulator: a friend's visit runs the route at once, a new
person's visit becomes their first route when their follow arrives, and every bad login (forged, expired or
replayed state, an id_token with a bad signature, audience, expiry or nonce, a replayed code) stores nothing."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from enishi_inflow.models import FirstRoute, Visit
from sqlalchemy import select

from tests.line.login_flow import AUTHORIZE, LoginShop, consent_form, log_in, login_shop, until


@pytest.fixture
async def shop(database_url: str, tmp_path: Path) -> AsyncIterator[LoginShop]:
    async with login_shop(database_url, tmp_path) as s:
        yield s


async def tagged_route(shop: LoginShop, tag_name: str, mode: str = "every") -> tuple[dict[str, Any], int]:
    tag = await shop.staff.post(shop.ws("/tags"), json={"name": tag_name})
    assert tag.status_code == 201, tag.text
    route = await shop.staff.post(
        shop.ws("/inflow/routes"),
        json={
            "name": "チラシ",
            "mode": mode,
            "actions": [{"type": "tags.add_tag", "config": {"tag_ids": [tag.json()["id"]]}}],
        },
    )
    assert route.status_code == 201, route.text
    return route.json(), int(tag.json()["id"])


async def tags_of(shop: LoginShop, friend_id: int) -> set[int]:
    response = await shop.staff.get(shop.ws(f"/tags/friends/{friend_id}"))
    assert response.status_code == 200, response.text
    return {int(t["tag_id"]) for t in response.json()}


async def visits(shop: LoginShop) -> list[tuple[int | None, str | None]]:
    async with shop.env.db.session(shop.workspace_id) as s:
        rows = (await s.execute(select(Visit.friend_id, Visit.line_user_id).order_by(Visit.id))).all()
    return [(f, u) for f, u in rows]


async def first_route(shop: LoginShop, friend_id: int) -> int | None:
    async with shop.env.db.session(shop.workspace_id) as s:
        return await s.scalar(select(FirstRoute.route_id).where(FirstRoute.friend_id == friend_id))


def route_path(route: dict[str, Any]) -> str:
    return f"/p/inflow/r/{route['code']}"


async def test_a_friend_is_logged_in_and_the_route_runs_at_once(shop: LoginShop) -> None:
    route, tag = await tagged_route(shop, "チラシ経由")
    hanako, hanako_id = await shop.new_friend("花子")
    assert tag not in await tags_of(shop, hanako_id)

    page = await log_in(shop.browser(), route_path(route), hanako)

    assert page.status_code == 200, page.text
    assert page.url.path == "/p/inflow/login" and 'id="welcome"' in page.text
    assert tag in await tags_of(shop, hanako_id)
    assert await visits(shop) == [(hanako_id, hanako)]
    assert await first_route(shop, hanako_id) == route["id"]
    # 花子 was a friend before she opened the route: a visit, not a new friend of the route.
    listed = (await shop.staff.get(shop.ws(f"/inflow/routes/{route['id']}"))).json()
    assert (listed["visits"], listed["new_friends"]) == (1, 0)


async def test_first_time_route_runs_once_per_friend_through_login(shop: LoginShop) -> None:
    route, tag = await tagged_route(shop, "初回", mode="first_time")
    ren, ren_id = await shop.new_friend("蓮")
    await log_in(shop.browser(), route_path(route), ren)
    assert tag in await tags_of(shop, ren_id)
    assert (await shop.staff.delete(shop.ws(f"/tags/friends/{ren_id}/{tag}"))).status_code in (200, 204)
    again = await log_in(shop.browser(), route_path(route), ren)
    assert again.status_code == 200 and 'id="welcome"' in again.text
    assert tag not in await tags_of(shop, ren_id)  # the visit is stored, the actions do not run again
    assert await visits(shop) == [(ren_id, ren), (ren_id, ren)]


async def test_a_new_person_adds_the_account_on_the_way_and_the_route_is_their_first(shop: LoginShop) -> None:
    route, tag = await tagged_route(shop, "新規")
    aoi = shop.emulator.add_user(shop.channel_id, "葵")  # in LINE, not a friend of the account yet

    page = await log_in(shop.browser(), route_path(route), aoi.user_id, add_friend=True)

    assert page.status_code == 200 and 'id="welcome"' in page.text
    assert shop.emulator.user(shop.channel_id, aoi.user_id).following  # the consent page's "add friend" box
    aoi_id = await until(lambda: shop.friend_id(aoi.user_id))
    assert aoi_id is not None
    assert await until(lambda: first_route(shop, aoi_id)) == route["id"]
    assert tag in await tags_of(shop, aoi_id)
    assert await visits(shop) == [(aoi_id, aoi.user_id)]
    listed = (await shop.staff.get(shop.ws(f"/inflow/routes/{route['id']}"))).json()
    assert (listed["visits"], listed["new_friends"]) == (1, 1)  # the follow came through the route


async def test_a_person_who_adds_the_account_later_is_attributed_on_the_follow(shop: LoginShop) -> None:
    route, tag = await tagged_route(shop, "あとで")
    other, _ = await tagged_route(shop, "別経路")
    yui = shop.emulator.add_user(shop.channel_id, "結衣")

    page = await log_in(shop.browser(), route_path(route), yui.user_id)  # leaves the box unticked

    # Not a friend: on to adding the account (in the demo, the simulator stands in for LINE; like the consent page
    # it is a signed-in staff member's page, and this browser is one).
    assert page.status_code == 200 and page.url.path == "/emulator/simulator"
    assert await visits(shop) == [(None, yui.user_id)]
    # A visit of another route afterwards: the first route stays the first one visited.
    await log_in(shop.browser(), route_path(other), yui.user_id)
    assert await visits(shop) == [(None, yui.user_id), (None, yui.user_id)]
    await shop.emulator.follow(shop.channel_id, yui.user_id)  # later, in LINE: the real follow webhook
    yui_id = await until(lambda: shop.friend_id(yui.user_id))
    assert yui_id is not None
    assert await until(lambda: first_route(shop, yui_id)) == route["id"]
    assert await visits(shop) == [(yui_id, yui.user_id), (yui_id, yui.user_id)]
    assert tag in await tags_of(shop, yui_id)
    # The new friend counts for the first route only.
    for visited, new in ((route, 1), (other, 0)):
        listed = (await shop.staff.get(shop.ws(f"/inflow/routes/{visited['id']}"))).json()
        assert (listed["visits"], listed["new_friends"]) == (1, new)


async def test_forged_and_missing_states_are_refused(shop: LoginShop) -> None:
    route, _ = await tagged_route(shop, "偽造")
    browser = shop.browser()
    for query in ("?code=abc&state=" + secrets.token_urlsafe(32), "?code=abc", "?state=" + "x" * 600):
        page = await browser.get("/p/inflow/login" + query)
        assert page.status_code == 400, (query, page.text)
        assert "ログインできませんでした" in page.text
    # A state made for another purpose (the member card) does not open an inflow callback either.
    card_start = await shop.browser(follow=False).get(f"/p/member_cards/login/{shop.workspace_id}")
    assert card_start.status_code == 302
    state = parse_qs(urlsplit(card_start.headers["location"]).query)["state"][0]
    page = await browser.get(f"/p/inflow/login?code=abc&state={state}")
    assert page.status_code == 400
    assert await visits(shop) == []
    shown = (await shop.staff.get(shop.ws(f"/inflow/routes/{route['id']}"))).json()
    assert (shown["visits"], shown["new_friends"]) == (0, 0)


async def test_a_replayed_callback_and_a_replayed_code_are_refused(shop: LoginShop) -> None:
    route, tag = await tagged_route(shop, "再送")
    hanako, hanako_id = await shop.new_friend("花子")
    browser = shop.browser(follow=False)
    answer = await log_in(browser, route_path(route), hanako)
    assert answer.status_code == 302
    callback = answer.headers["location"]
    first = await browser.get(callback)
    assert first.status_code == 200 and 'id="welcome"' in first.text
    assert tag in await tags_of(shop, hanako_id)
    await shop.staff.delete(shop.ws(f"/tags/friends/{hanako_id}/{tag}"))

    replay = await browser.get(callback)
    assert replay.status_code == 400 and "既に使われています" in replay.text
    assert tag not in await tags_of(shop, hanako_id)
    assert await visits(shop) == [(hanako_id, hanako)]

    # The code itself is single use at LINE's token endpoint.
    code = parse_qs(urlsplit(callback).query)["code"][0]
    token = await browser.post(
        "/emulator/oauth2/v2.1/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback.split("?", 1)[0],
            "client_id": shop.login_channel_id,
            "client_secret": shop.login_secret,
        },
    )
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_grant" and "already been used" in token.json()["error_description"]


@pytest.mark.parametrize("fault", ["signature", "audience", "expired", "nonce"])
async def test_a_bad_id_token_is_refused_and_stores_nothing(shop: LoginShop, fault: str) -> None:
    route, tag = await tagged_route(shop, "検証")
    hanako, hanako_id = await shop.new_friend("花子")
    await shop.set_id_token_fault(fault)

    page = await log_in(shop.browser(), route_path(route), hanako)

    assert page.status_code == 400, page.text
    assert "LINEのログイン情報を確認できませんでした" in page.text
    assert tag not in await tags_of(shop, hanako_id)
    assert await visits(shop) == [(None, None)]  # the opening is counted, nobody is named for it
    assert await first_route(shop, hanako_id) is None

    # The fault was for one token: the next login works.
    page = await log_in(shop.browser(), route_path(route), hanako)
    assert page.status_code == 200 and tag in await tags_of(shop, hanako_id)


async def test_hs256_id_tokens_signed_with_the_channel_secret_are_accepted(shop: LoginShop) -> None:
    route, tag = await tagged_route(shop, "HS256")
    hanako, hanako_id = await shop.new_friend("花子")
    changed = await shop.staff.patch(
        f"/emulator/_control/login-channels/{shop.login_channel_id}", json={"idTokenAlg": "HS256"}
    )
    assert changed.status_code == 200 and changed.json()["idTokenAlg"] == "HS256"
    page = await log_in(shop.browser(), route_path(route), hanako)
    assert page.status_code == 200, page.text
    assert tag in await tags_of(shop, hanako_id)


async def test_an_expired_state_is_refused(database_url: str, tmp_path: Path) -> None:
    async with login_shop(database_url, tmp_path, ENISHI_LINE_LOGIN_STATE_SECONDS="1") as shop:
        route, tag = await tagged_route(shop, "期限")
        hanako, hanako_id = await shop.new_friend("花子")
        browser = shop.browser()
        page = await browser.get(route_path(route))
        form = consent_form(page)
        await asyncio.sleep(1.5)  # the person lingers on LINE's page past the state's lifetime
        answer = await browser.post(AUTHORIZE, data={**form, "user_id": hanako, "decision": "allow"})
        assert answer.status_code == 400 and "有効期限" in answer.text
        assert tag not in await tags_of(shop, hanako_id)
        assert await visits(shop) == [(None, None)]


async def test_cancelling_on_lines_page_and_a_plugin_turned_off_meanwhile(shop: LoginShop) -> None:
    route, tag = await tagged_route(shop, "取消")
    hanako, hanako_id = await shop.new_friend("花子")
    cancelled = await log_in(shop.browser(), route_path(route), hanako, decision="deny")
    assert cancelled.status_code == 400 and "完了しませんでした" in cancelled.text

    browser = shop.browser()
    form = consent_form(await browser.get(route_path(route)))
    off = await shop.staff.put(shop.ws("/plugins/inflow"), json={"enabled": False})
    assert off.status_code == 200, off.text
    answer = await browser.post(AUTHORIZE, data={**form, "user_id": hanako, "decision": "allow"})
    assert answer.status_code == 404
    assert (await shop.browser(follow=False).get(route_path(route))).status_code == 404
    assert tag not in await tags_of(shop, hanako_id)
    assert all(friend is None for friend, _ in await visits(shop))


async def test_login_channel_settings_are_checked_and_removing_it_falls_back_to_the_code(shop: LoginShop) -> None:
    bad = await shop.staff.patch(shop.ws(), json={"login_channel_id": "12", "login_channel_secret": "zz"})
    assert bad.status_code == 422, bad.text
    assert [e["path"] for e in bad.json()["errors"]] == ["$.login_channel_id", "$.login_channel_secret"]
    same = await shop.staff.patch(shop.ws(), json={"login_channel_id": shop.channel_id})
    assert same.status_code == 422 and [e["path"] for e in same.json()["errors"]] == ["$.login_channel_id"]
    shown = await shop.staff.get(shop.ws())
    assert shown.json()["workspace"]["line_login_channel_id"] == shop.login_channel_id
    assert shop.login_secret not in shown.text  # stored encrypted, never shown

    route, _ = await tagged_route(shop, "フォールバック")
    assert (await shop.browser(follow=False).get(route_path(route))).status_code == 302
    removed = await shop.staff.patch(shop.ws(), json={"login_channel_id": None})
    assert removed.status_code == 200 and removed.json()["line_login_channel_id"] is None
    page = await shop.browser(follow=False).get(route_path(route))
    assert page.status_code == 200 and '<code id="ref">#' in page.text
