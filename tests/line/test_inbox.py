"""The chat inbox against a live server with the embedded emulator: conversations, history, reply-first, reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from enishi.app import create_app
from enishi.line.embedded import emulator_of, register_channels
from enishi.models import Friend, LineRequest, Message
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


async def _login(env: Env, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=env.settings.public_url, timeout=10)
    env.clients.append(client)
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


async def _until(check: Any, seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


async def test_conversations_reply_first_and_read_markers(live: Env) -> None:
    owner = await live.user("owner@shop.example")
    workspace = await live.workspace(await live.agency(owner=owner))
    services = live.app.state["enishi"]
    emulator = emulator_of(live.app.state)
    assert emulator is not None
    await register_channels(services, emulator)
    channel = workspace.line_channel_id
    hanako = emulator.add_user(channel, "花子")
    taro = emulator.add_user(channel, "太郎")
    for user, text in ((hanako, "予約できますか？"), (taro, "こんにちは")):
        await emulator.follow(channel, user.user_id)
        await emulator.send_text(channel, user.user_id, text)

    staff = await _login(live, "owner@shop.example")
    base = f"/api/workspaces/{workspace.id}/inbox"

    async def two_conversations() -> list[dict[str, Any]]:
        items = (await staff.get(f"{base}/conversations")).json()["items"]
        return items if len(items) == 2 and all(c["friend"]["display_name"] for c in items) else []

    conversations = await _until(two_conversations)
    assert {c["friend"]["display_name"] for c in conversations} == {"太郎", "花子"}
    assert [c["unread"] for c in conversations] == [1, 1]
    hanako_id = next(c["friend"]["id"] for c in conversations if c["friend"]["display_name"] == "花子")

    # The first answer goes by reply (free): the reply token of her message is fresh.
    first = await staff.post(
        f"{base}/friends/{hanako_id}/messages", json={"messages": [{"type": "text", "text": "はい、承ります"}]}
    )
    assert first.status_code == 202, first.text
    assert first.json()["kind"] == "reply"
    # The token is used up, so a second answer goes by push.
    second = await staff.post(
        f"{base}/friends/{hanako_id}/messages", json={"messages": [{"type": "text", "text": "何名様ですか？"}]}
    )
    assert second.json()["kind"] == "push"

    async def delivered() -> list[Any]:
        got = emulator.deliveries(channel, hanako.user_id)
        return got if len(got) == 2 else []

    deliveries = await _until(delivered)
    assert [(d.endpoint, d.message["text"]) for d in deliveries] == [
        ("reply", "はい、承ります"),
        ("push", "何名様ですか？"),
    ]

    history = (await staff.get(f"{base}/friends/{hanako_id}/messages")).json()["items"]
    assert [(m["direction"], m["text"]) for m in history] == [
        ("out", "何名様ですか？"),
        ("out", "はい、承ります"),
        ("in", "予約できますか？"),
    ]
    assert history[0]["sent_by_name"] == "スタッフ"

    async def all_accepted() -> bool:
        async with live.db.session(workspace.id) as s:
            return set(await s.scalars(select(LineRequest.status))) == {"accepted"}

    assert await _until(all_accepted)

    # Reading moves this staff member's marker; it never goes back.
    newest = history[0]["id"]
    assert (await staff.put(f"{base}/friends/{hanako_id}/read", json={"last_read_message_id": newest})).json() == {
        "last_read_message_id": newest
    }
    assert (await staff.put(f"{base}/friends/{hanako_id}/read", json={"last_read_message_id": 1})).json() == {
        "last_read_message_id": newest
    }
    unread = {
        c["friend"]["display_name"]: c["unread"] for c in (await staff.get(f"{base}/conversations")).json()["items"]
    }
    assert unread == {"花子": 0, "太郎": 1}
    assert [
        c["friend"]["display_name"]
        for c in (await staff.get(f"{base}/conversations", params={"unread_only": True})).json()["items"]
    ] == ["太郎"]
    too_far = await staff.put(f"{base}/friends/{hanako_id}/read", json={"last_read_message_id": newest + 1000})
    assert too_far.status_code == 422


async def test_bad_replies_are_refused_with_paths(live: Env) -> None:
    owner = await live.user("owner@shop.example")
    workspace = await live.workspace(await live.agency(owner=owner))
    async with live.db.transaction(workspace.id) as s:
        blocked = Friend(line_user_id="U" + "b" * 32, status="blocked")
        following = Friend(line_user_id="U" + "f" * 32)
        s.add_all([blocked, following])
    staff = await _login(live, "owner@shop.example")
    base = f"/api/workspaces/{workspace.id}/inbox/friends"
    six = {"messages": [{"type": "text", "text": str(i)} for i in range(6)]}
    response = await staff.post(f"{base}/{following.id}/messages", json=six)
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "$.messages"
    wrong = await staff.post(f"{base}/{following.id}/messages", json={"messages": [{"type": "text"}, {"type": "nope"}]})
    assert {e["path"] for e in wrong.json()["errors"]} == {"$.messages[0].text", "$.messages[1].type"}
    assert (
        await staff.post(f"{base}/{blocked.id}/messages", json={"messages": [{"type": "text", "text": "x"}]})
    ).status_code == 409
    assert (
        await staff.post(f"{base}/999999/messages", json={"messages": [{"type": "text", "text": "x"}]})
    ).status_code == 404
    async with live.db.session(workspace.id) as s:
        assert list(await s.scalars(select(LineRequest))) == []


async def test_an_exhausted_quota_is_shown_to_staff_and_held_sends_go_out_once_released(live: Env) -> None:
    owner = await live.user("owner@shop.example")
    workspace = await live.workspace(await live.agency(owner=owner))
    emulator = emulator_of(live.app.state)
    assert emulator is not None
    await register_channels(live.app.state["enishi"], emulator)
    channel = workspace.line_channel_id
    user = emulator.add_user(channel, "花子", following=True)
    async with live.db.transaction(workspace.id) as s:
        friend = Friend(line_user_id=user.user_id, display_name="花子")
        s.add(friend)
    emulator.set_quota(channel, 0)  # nothing left this month
    staff = await _login(live, "owner@shop.example")
    base = f"/api/workspaces/{workspace.id}"
    sent = await staff.post(
        f"{base}/inbox/friends/{friend.id}/messages", json={"messages": [{"type": "text", "text": "お知らせ"}]}
    )
    assert sent.json()["kind"] == "push"

    async def stopped() -> Any:
        return (await staff.get(base)).json()["workspace"]["quota_exhausted_at"]

    assert await _until(stopped), "staff should see that the monthly quota is used up"
    history = (await staff.get(f"{base}/inbox/friends/{friend.id}/messages")).json()["items"]
    assert history[0]["delivery"] == "held"
    assert emulator.deliveries(channel, user.user_id) == []

    emulator.set_quota(channel, 1000)  # more messages bought
    released = await staff.delete(f"{base}/line/quota-hold")
    assert released.status_code == 200 and released.json() == {"released": 1}

    async def delivered() -> list[Any]:
        return emulator.deliveries(channel, user.user_id)

    assert [d.message["text"] for d in await _until(delivered)] == ["お知らせ"]
    assert (await staff.get(base)).json()["workspace"]["quota_exhausted_at"] is None


async def test_media_is_fetched_lazily_from_line_and_served(live: Env) -> None:
    owner = await live.user("owner@shop.example")
    workspace = await live.workspace(await live.agency(owner=owner))
    emulator = emulator_of(live.app.state)
    assert emulator is not None
    await register_channels(live.app.state["enishi"], emulator)
    channel = workspace.line_channel_id
    user = emulator.add_user(channel, "花子")
    await emulator.follow(channel, user.user_id)
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    await emulator.send_image(channel, user.user_id, picture, "image/png")
    staff = await _login(live, "owner@shop.example")
    base = f"/api/workspaces/{workspace.id}/inbox"

    async def the_image() -> Any:
        items = (await staff.get(f"{base}/conversations")).json()["items"]
        return items[0]["last_message"] if items and items[0]["last_message"]["kind"] == "image" else None

    image = await _until(the_image)
    url = f"{base}/messages/{image['id']}/content"
    first = await staff.get(url)
    assert first.status_code == 202 and first.headers["retry-after"] == "1"

    async def fetched() -> Any:
        response = await staff.get(url)
        return response if response.status_code == 200 else None

    served = await _until(fetched)
    assert served is not None and served.content == picture
    assert served.headers["content-type"].startswith("image/png")
    text_id = image["id"] - 1 if image["id"] > 1 else image["id"] + 1000
    assert (await staff.get(f"{base}/messages/{text_id}/content")).status_code == 404

    # Content over ENISHI_MEDIA_MAX_BYTES is refused and not stored.
    from enishi.context import JobContext
    from enishi.line import media

    await emulator.send_image(channel, user.user_id, b"\x89PNG" + b"x" * 5000, "image/png")
    big = await _until(lambda: _newest_image(staff, base, image["id"]))
    services = live.app.state["enishi"]
    small = services.settings.with_changes(extra={**services.settings.extra, "ENISHI_MEDIA_MAX_BYTES": "1024"})
    jobs_ctx = JobContext(settings=small, db=services.db, host=services.host, jobs=services.jobs)
    assert await media.fetch_content(jobs_ctx, workspace.id, big["id"]) is False
    refused = await staff.get(f"{base}/messages/{big['id']}/content")
    assert refused.status_code == 413 and refused.json()["error"] == "too_large"
    assert not media.content_path(services.settings, workspace.id, big["id"]).exists()


async def _newest_image(staff: httpx.AsyncClient, base: str, after: int) -> Any:
    items = (await staff.get(f"{base}/conversations")).json()["items"]
    last = items[0]["last_message"] if items else None
    return last if last and last["kind"] == "image" and last["id"] > after else None


async def test_media_asked_for_while_the_queue_is_down_is_fetched_once_it_is_back(
    live: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from enishi.context import JobContext
    from enishi.jobs import QueueUnavailable
    from enishi.line import media

    owner = await live.user("owner@shop.example")
    workspace = await live.workspace(await live.agency(owner=owner))
    emulator = emulator_of(live.app.state)
    assert emulator is not None
    await register_channels(live.app.state["enishi"], emulator)
    channel = workspace.line_channel_id
    user = emulator.add_user(channel, "花子")
    await emulator.follow(channel, user.user_id)
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2
    await emulator.send_image(channel, user.user_id, picture, "image/png")
    staff = await _login(live, "owner@shop.example")
    base = f"/api/workspaces/{workspace.id}/inbox"
    image = await _until(lambda: _newest_image(staff, base, 0))
    url = f"{base}/messages/{image['id']}/content"
    services = live.app.state["enishi"]

    async def queue_down(*_args: Any, **_kwargs: Any) -> bool:
        raise QueueUnavailable("Redis is unreachable")

    monkeypatch.setattr(services.jobs, "enqueue", queue_down)
    for _ in range(2):  # the console asks again while it is fetching
        asked = await staff.get(url)
        assert asked.status_code == 202, asked.text
        assert asked.json() == {"status": "fetching"}

    async def wanted_at() -> Any:
        async with live.db.session() as s:
            return await s.scalar(select(Message.content_wanted_at).where(Message.id == image["id"]))

    wanted = await wanted_at()
    assert wanted is not None  # the database holds the wish, not the queue
    monkeypatch.undo()

    # Once the queue is back the sweeper queues the fetch (nobody asks again), after the job's grace period.
    jobs_ctx = JobContext(settings=services.settings, db=services.db, host=services.host, jobs=services.jobs)
    assert await media.sweep_wanted_content(jobs_ctx) == 0
    async with live.db.transaction() as s:
        await s.execute(
            update(Message)
            .where(Message.id == image["id"])
            .values(content_wanted_at=wanted - media.SWEEP_AFTER - timedelta(seconds=1))
        )
    assert await media.sweep_wanted_content(jobs_ctx) == 1

    async def no_longer_wanted() -> bool:
        return await wanted_at() is None

    assert await _until(no_longer_wanted)
    served = await staff.get(url)
    assert served.status_code == 200 and served.content == picture
    assert await media.sweep_wanted_content(jobs_ctx) == 0
