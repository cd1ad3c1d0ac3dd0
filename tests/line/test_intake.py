"""Webhook intake: signature first, durable store before the 200, idempotent per webhookEventId, processed after."""

from __future__ import annotations

import json
import uuid
from typing import Any

from linebot.v3 import WebhookParser
from sqlalchemy import func, select

from enishi.crypto import SecretBox
from enishi.line.signature import sign
from enishi.models import Friend, LineEvent, Message, Workspace
from tests.conftest import Env

USER = "U" + "1" * 32


def event(kind: str, ts: int, user: str = USER, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": ts,
        "webhookEventId": uuid.uuid4().hex[:26].upper(),
        "deliveryContext": {"isRedelivery": False},
        "source": {"type": "user", "userId": user},
        **extra,
    }


def text(ts: int, body: str, user: str = USER) -> dict[str, Any]:
    msg = {"type": "text", "id": str(ts), "text": body, "quoteToken": "q" + str(ts)}
    return event("message", ts, user, replyToken=f"rt{ts}", message=msg)


class Line:
    """Posts signed webhooks to a workspace the way LINE does."""

    def __init__(self, env: Env, workspace: Workspace) -> None:
        self.env, self.workspace = env, workspace
        self.secret = SecretBox(env.settings.secret_keys).decrypt(workspace.line_channel_secret)
        self.url = f"/webhook/{workspace.webhook_token}"

    async def post(self, *events: dict[str, Any], raw: bytes | None = None, signature: str | None = None) -> Any:
        body = raw if raw is not None else json.dumps({"destination": "U" + "f" * 32, "events": list(events)}).encode()
        headers = {"content-type": "application/json", "x-line-signature": signature or sign(self.secret, body)}
        return await self.env.client.post(self.url, content=body, headers=headers)

    async def settle(self) -> None:
        await self.env.app.state["enishi_event_writer"].idle()  # processing jobs queued
        await self.env.app.state["enishi"].jobs.drain()


async def _count(env: Env, model: Any) -> int:
    async with env.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_signature_is_checked_before_anything_is_stored(env: Env) -> None:
    line = Line(env, await env.workspace(await env.agency()))
    body = json.dumps({"destination": "x", "events": [text(1, "こんにちは")]}).encode()
    assert (await line.post(raw=body, signature="forged")).status_code == 401
    missing = await env.client.post(line.url, content=body, headers={"content-type": "application/json"})
    assert missing.status_code == 401
    other_secret = sign(uuid.uuid4().hex, body)
    assert (await line.post(raw=body, signature=other_secret)).status_code == 401
    assert (await env.client.post("/webhook/not-a-token", content=body)).status_code == 404
    assert await _count(env, LineEvent) == 0
    # The official SDK accepts our signatures (the emulator signs the same way).
    assert WebhookParser(line.secret).parse(body.decode(), sign(line.secret, body))


async def test_connectivity_check_bad_json_and_envelope(env: Env) -> None:
    line = Line(env, await env.workspace(await env.agency()))
    assert (await line.post()).status_code == 200  # empty events: LINE's "verify" button
    bad = await line.post(raw=b"{not json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "$"
    no_id = dict(text(1, "x"))
    del no_id["webhookEventId"]
    response = await line.post(no_id)
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == "$.events[0].webhookEventId"
    too_big = b'{"events": [], "pad": "' + b"x" * env.settings.max_request_bytes + b'"}'
    assert (await line.post(raw=too_big)).status_code == 413
    assert await _count(env, LineEvent) == 0


async def test_follow_message_and_duplicates_are_processed_once(env: Env) -> None:
    import enishi_probe

    workspace = await env.workspace(await env.agency(), plan="pro")
    line = Line(env, workspace)
    enishi_probe.CALLS.clear()
    follow = event("follow", 1_000, replyToken="rt-follow", follow={"isUnblocked": False})
    hello = text(2_000, "はじめまして")
    assert (await line.post(follow, hello)).status_code == 200
    redelivered = {**hello, "deliveryContext": {"isRedelivery": True}}
    assert (await line.post(redelivered, follow)).status_code == 200  # acknowledged, not stored twice
    await line.settle()

    assert await _count(env, LineEvent) == 2
    async with env.db.session(workspace.id) as s:
        friend = await s.scalar(select(Friend))
        assert friend is not None and friend.status == "following" and friend.line_user_id == USER
        assert friend.reply_token == "rt2000"  # the newest token wins
        messages = list(await s.scalars(select(Message)))
        assert [(m.direction, m.kind, m.text) for m in messages] == [("in", "text", "はじめまして")]
        assert all(e.processed_at is not None for e in await s.scalars(select(LineEvent)))
    seen = [c for c in enishi_probe.CALLS if c[0] in ("followed", "line_event", "domain_event")]
    assert ("followed", workspace.id, (friend.id, False)) in seen
    assert [c[2] for c in seen if c[0] == "domain_event"] == ["core.friend_followed", "core.message_received"]
    assert len([c for c in seen if c[0] == "line_event"]) == 2


async def test_out_of_order_block_and_unblock_keep_the_newest_state(env: Env) -> None:
    workspace = await env.workspace(await env.agency())
    line = Line(env, workspace)
    await line.post(event("follow", 1_000, follow={"isUnblocked": False}))
    await line.settle()
    # LINE delivers the unblock (t=3000) before the block (t=2000).
    await line.post(event("follow", 3_000, follow={"isUnblocked": True}, replyToken="late"))
    await line.post(event("unfollow", 2_000))
    await line.settle()
    async with env.db.session(workspace.id) as s:
        friend = await s.scalar(select(Friend))
        assert friend is not None and friend.status == "following" and friend.blocked_at is None

    await line.post(event("unfollow", 4_000))
    await line.post(text(3_500, "遅れて届いた"))  # a message older than the block, arriving after it
    await line.settle()
    async with env.db.session(workspace.id) as s:
        friend = await s.scalar(select(Friend))
        assert friend is not None and friend.status == "blocked" and friend.reply_token is None
        assert await s.scalar(select(func.count()).select_from(Message)) == 1


async def test_unknown_types_fields_and_group_events_are_kept(env: Env) -> None:
    workspace = await env.workspace(await env.agency())
    line = Line(env, workspace)
    future = event("somethingNew", 1_000, brandNew={"x": 1})
    group = {**text(2_000, "グループ"), "source": {"type": "group", "groupId": "C" + "0" * 32, "userId": USER}}
    extra_field = {**text(3_000, "hi", user="U" + "2" * 32), "unknownField": True}
    assert (await line.post(future, group, extra_field)).status_code == 200
    await line.settle()
    async with env.db.session(workspace.id) as s:
        stored = {e.type: e for e in await s.scalars(select(LineEvent))}
        assert stored["somethingNew"].payload["brandNew"] == {"x": 1} and stored["somethingNew"].processed_at
        assert [f.line_user_id for f in await s.scalars(select(Friend))] == ["U" + "2" * 32]  # groups make no friends
        assert (await s.scalar(select(Message.body))) == {
            "type": "text",
            "id": "3000",
            "text": "hi",
            "quoteToken": "q3000",
        }


async def test_an_event_that_breaks_the_spec_is_stored_with_the_reason(env: Env) -> None:
    workspace = await env.workspace(await env.agency())
    line = Line(env, workspace)
    broken = event("message", 1_000, message={"type": "text"})  # no id, no text
    assert (await line.post(broken)).status_code == 200
    await line.settle()
    async with env.db.session(workspace.id) as s:
        stored = await s.scalar(select(LineEvent))
        assert stored is not None and stored.error and "'id' is a required property" in stored.error
        assert await s.scalar(select(func.count()).select_from(Friend)) == 0
