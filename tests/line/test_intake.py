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
    core_events = [c[2] for c in seen if c[0] == "domain_event" and c[2].startswith("core.")]  # plugins add theirs
    assert core_events == ["core.friend_followed", "core.message_received"]
    assert [c for c in seen if c[0] == "line_event"] == [
        ("line_event", workspace.id, ("follow", friend.id)),
        ("line_event", workspace.id, ("message", friend.id)),
    ]


async def test_the_line_event_hook_gets_the_friend_the_event_is_from(env: Env) -> None:
    """The friend's row exists when the hook runs, even for the first event of someone new; events of groups and
    of unknown types are from no friend."""
    import enishi_probe

    workspace = await env.workspace(await env.agency(), plan="pro")
    line = Line(env, workspace)
    enishi_probe.CALLS.clear()
    newcomer = "U" + "3" * 32
    group = {**text(1_000, "グループ"), "source": {"type": "group", "groupId": "C" + "0" * 32, "userId": USER}}
    assert (
        await line.post(text(2_000, "はじめまして", user=newcomer), group, event("somethingNew", 3_000))
    ).status_code == 200
    await line.settle()  # two deliveries may be processed side by side: the hook's order is asked of one at a time
    await line.post(event("unfollow", 4_000, user=newcomer))
    await line.settle()
    async with env.db.session(workspace.id) as s:
        newcomer_id = await s.scalar(select(Friend.id).where(Friend.line_user_id == newcomer))
    assert newcomer_id is not None
    assert [c[2] for c in enishi_probe.CALLS if c[0] == "line_event"] == [
        ("message", newcomer_id),
        ("message", None),
        ("somethingNew", None),
        ("unfollow", newcomer_id),
    ]


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
        assert stored is not None and stored.error and "is a required property" in stored.error and "id" in stored.error
        assert await s.scalar(select(func.count()).select_from(Friend)) == 0


async def test_a_channel_secret_changed_here_is_used_at_once(env: Env) -> None:
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    line = Line(env, workspace)
    assert (await line.post(text(1_000, "前"))).status_code == 200  # the secret is cached now
    client = await env.login("owner@shop.example")
    new_secret = uuid.uuid4().hex
    changed = await client.patch(f"/api/workspaces/{workspace.id}", json={"channel_secret": new_secret})
    assert changed.status_code == 200, changed.text
    assert (await line.post(text(2_000, "古い鍵"))).status_code == 401  # signed with the old secret
    line.secret = new_secret
    assert (await line.post(text(3_000, "新しい鍵"))).status_code == 200
    assert await _count(env, LineEvent) == 2


async def test_a_channel_secret_changed_elsewhere_is_picked_up(env: Env, monkeypatch: Any) -> None:
    from sqlalchemy import update

    from enishi.line import intake

    workspace = await env.workspace(await env.agency())
    line = Line(env, workspace)
    assert (await line.post(text(1_000, "前"))).status_code == 200  # cached
    new_secret = uuid.uuid4().hex
    async with env.db.transaction() as s:  # as another web process would: no event reaches this one's cache
        await s.execute(
            update(Workspace)
            .where(Workspace.id == workspace.id)
            .values(line_channel_secret=SecretBox(env.settings.secret_keys).encrypt(new_secret))
        )
    old_secret = line.secret
    # Within RECHECK_SECONDS of reading it, a failing signature does not read the secret again.
    line.secret = new_secret
    assert (await line.post(text(2_000, "新しい鍵"))).status_code == 401
    # Later it does: LINE's webhooks signed with the new secret are accepted at once...
    monkeypatch.setattr(intake, "RECHECK_SECONDS", 0.0)
    assert (await line.post(text(3_000, "新しい鍵"))).status_code == 200
    # ... and the old secret is refused from then on (in any case after CACHE_SECONDS).
    line.secret = old_secret
    assert (await line.post(text(4_000, "古い鍵"))).status_code == 401
    assert await _count(env, LineEvent) == 2


async def test_concurrent_deliveries_share_commits_and_a_duplicate_counts_once(env: Env) -> None:
    import asyncio

    workspace = await env.workspace(await env.agency())
    other = await env.workspace(await env.agency("別の代理店"))
    line, other_line = Line(env, workspace), Line(env, other)
    shared = text(500, "同時に二度")
    deliveries = [line.post(text(1_000 + i, f"#{i}", user=f"U{i:032x}")) for i in range(20)]
    deliveries += [line.post(shared), line.post(shared), other_line.post(shared)]  # the same id in another workspace
    assert [r.status_code for r in await asyncio.gather(*deliveries)] == [200] * 23
    await line.settle()
    async with env.db.session() as s:
        events = list(await s.scalars(select(LineEvent)))
    assert len(events) == 22 and all(e.processed_at is not None and e.attempts == 1 for e in events)
    assert sorted(e.workspace_id for e in events if e.webhook_event_id == shared["webhookEventId"]) == sorted(
        [workspace.id, other.id]
    )
    async with env.db.session(workspace.id) as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 21


async def test_one_failing_delivery_does_not_fail_the_others_in_its_commit(env: Env, monkeypatch: Any) -> None:
    import asyncio

    from enishi.line.intake import EventWriter, event_rows

    workspace = await env.workspace(await env.agency())
    writer: EventWriter = env.app.state["enishi_event_writer"]
    inserter = writer._inserter
    real_insert = inserter.insert
    poison = "POISON"

    async def insert(rows: list[dict[str, Any]]) -> Any:
        if any(r["webhook_event_id"] == poison for r in rows):
            raise RuntimeError("refused by the database")
        return await real_insert(rows)

    monkeypatch.setattr(inserter, "insert", insert)
    bad = {**text(1, "x"), "webhookEventId": poison}
    stores = [writer.store(workspace.id, event_rows(workspace.id, [text(10 + i, str(i))])) for i in range(5)]
    stores.insert(2, writer.store(workspace.id, event_rows(workspace.id, [bad])))
    results = await asyncio.gather(*stores, return_exceptions=True)  # all queued before the first commit
    assert isinstance(results[2], RuntimeError)
    assert [len(r) for i, r in enumerate(results) if i != 2] == [1] * 5  # type: ignore[arg-type]
    await Line(env, workspace).settle()
    assert await _count(env, LineEvent) == 5


async def test_only_post_on_a_token_is_a_webhook(env: Env) -> None:
    line = Line(env, await env.workspace(await env.agency()))
    assert (await env.client.get(line.url)).status_code == 405
    assert (await env.client.post("/webhook/")).status_code == 404
    assert (await env.client.post(line.url + "/more")).status_code == 404
    assert (await line.post()).status_code == 200


async def test_a_lost_processing_job_is_picked_up_by_the_sweeper(env: Env, monkeypatch: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from enishi.db.base import utcnow
    from enishi.line.processing import sweep_events

    workspace = await env.workspace(await env.agency())
    line = Line(env, workspace)
    jobs = env.app.state["enishi"].jobs

    async def lost(*args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(jobs, "enqueue", lost)
    assert (await line.post(text(1_000, "届いた"))).status_code == 200  # stored; the queue is not needed for the 200
    await line.settle()
    async with env.db.transaction() as s:  # the sweeper leaves the newest few seconds to their jobs
        await s.execute(update(LineEvent).values(received_at=utcnow() - timedelta(minutes=1)))
    monkeypatch.undo()
    assert await sweep_events(jobs.context) == 1
    async with env.db.session(workspace.id) as s:
        assert (await s.scalar(select(LineEvent))).processed_at is not None  # type: ignore[union-attr]
        assert await s.scalar(select(Message.text)) == "届いた"


async def test_the_writer_gets_over_a_dropped_database_connection(env: Env) -> None:
    from sqlalchemy import text as sql

    if env.backend != "postgresql":
        return  # SQLite has no server to drop the connection
    line = Line(env, await env.workspace(await env.agency()))
    assert (await line.post(text(1_000, "前"))).status_code == 200  # the writer holds its connection now
    async with env.db.session() as s:  # as a database restart would
        await s.execute(
            sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert (await line.post(text(2_000, "後"))).status_code == 200
    assert await _count(env, LineEvent) == 2
