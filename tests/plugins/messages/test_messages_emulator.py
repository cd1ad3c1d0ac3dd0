"""End to end against a live server with the embedded LINE emulator: a LINE user follows, staff send a buttons
template, the user taps the button in LINE, the webhook comes back, the tag is added and the reply arrives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from enishi import Friend
from enishi.app import create_app
from enishi.line.embedded import emulator_of, register_channels
from tests.conftest import PASSWORD, Env, make_host, settings_for
from tests.live_server import listening_socket, serve


@pytest.fixture
async def live(database_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    sock = listening_socket()
    port = sock.getsockname()[1]
    settings = settings_for(
        tmp_path, database_url, ENISHI_PUBLIC_URL=f"http://127.0.0.1:{port}", ENISHI_EMULATOR="true"
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


async def until(check: Any, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


async def test_a_tap_in_line_adds_the_tag_and_replies(live: Env) -> None:
    owner = await live.user("owner@shop.example")
    workspace = await live.workspace(await live.agency(owner=owner), plan="start")
    emulator = emulator_of(live.app.state)
    assert emulator is not None
    await register_channels(live.app.state["enishi"], emulator)
    channel = workspace.line_channel_id
    hanako = emulator.add_user(channel, "花子")
    await emulator.follow(channel, hanako.user_id)

    staff = httpx.AsyncClient(base_url=live.settings.public_url, timeout=10)
    live.clients.append(staff)
    login = await staff.post("/api/auth/login", json={"email": "owner@shop.example", "password": PASSWORD})
    staff.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    base = f"/api/workspaces/{workspace.id}"

    async def friend_id() -> int | None:
        async with live.db.session(workspace.id) as s:
            return await s.scalar(select(Friend.id).where(Friend.line_user_id == hanako.user_id))

    hanako_id = await until(friend_id)  # the follow made a friend (the name is fetched in the background)
    assert hanako_id is not None

    tag = await staff.post(f"{base}/tags", json={"name": "セミナー参加"})
    tag_id = tag.json()["id"]
    buttons = {
        "type": "template",
        "altText": "セミナーのご案内",
        "template": {
            "type": "buttons",
            "text": "5月10日のセミナーに参加しますか?",
            "actions": [
                {
                    "type": "postback",
                    "label": "参加する",
                    "displayText": "参加します",
                    "enishi_actions": [{"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": [tag_id]}}],
                    "reply": [{"type": "text", "text": "{{friend.display_name|お客様}}さん、お待ちしています!"}],
                }
            ],
        },
    }
    sent = await staff.post(f"{base}/messages/send", json={"friend_id": hanako_id, "messages": [buttons]})
    assert sent.status_code == 202, sent.text

    async def delivered(count: int) -> list[Any]:
        got = emulator.deliveries(channel, hanako.user_id)
        return got if len(got) >= count else []

    [template] = await until(lambda: delivered(1))
    action = template.message["template"]["actions"][0]
    assert action["data"].startswith("enishi:pb:") and action["displayText"] == "参加します"
    assert "enishi_actions" not in action and "reply" not in action

    # She taps the button in LINE: the webhook comes back, the tag is added and the reply is delivered.
    tap = await emulator.postback(channel, hanako.user_id, action["data"], display_text=action["displayText"])
    deliveries = await until(lambda: delivered(2))
    assert deliveries[-1].message["text"] in ("花子さん、お待ちしています!", "お客様さん、お待ちしています!")

    async def tagged() -> bool:
        names = {t["name"] for t in (await staff.get(f"{base}/tags/friends/{hanako_id}")).json()}
        return names == {"セミナー参加"}

    assert await until(tagged)
    taps_url = f"{base}/messages/taps?friend_id={hanako_id}"
    taps = (await staff.get(taps_url)).json()["items"]
    assert [(t["label"], t["status"]) for t in taps] == [("参加する", "ran")]

    # LINE redelivers the tap's webhook: acknowledged, and nothing runs or is sent again.
    redelivered = await emulator.redeliver(channel, [tap.event["webhookEventId"]])
    assert redelivered.status_code == 200
    await asyncio.sleep(0.5)
    assert len(emulator.deliveries(channel, hanako.user_id)) == 2
    assert len((await staff.get(taps_url)).json()["items"]) == 1
