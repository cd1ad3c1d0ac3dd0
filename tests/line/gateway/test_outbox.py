"""The durable sending path against the real emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

import enishi.line.outbox as outbox
from enishi.db.base import utcnow
from enishi.line.errors import Accepted, Outcome, RetryLater
from enishi.line.gateway import Channel, LineGateway, part_key
from enishi.line.outbox import OutboxSettings, delivering, release_quota_hold, send_to_friend
from enishi.models import Friend, LineRequest, Message
from enishi.settings import SettingsError
from tests.conftest import settings_for
from tests.line.gateway.conftest import Shop, World

TEXT = {"type": "text", "text": "ご予約ありがとうございます"}


async def send(
    w: World, shop: Shop, friend: Friend, messages: list[dict[str, Any]] | None = None, *, key: str = "k1", **kw: Any
) -> LineRequest:
    async with w.db.transaction(shop.workspace.id) as s:
        return await send_to_friend(
            s,
            shop.workspace.id,
            friend.id,
            [TEXT] if messages is None else messages,
            idempotency_key=key,
            source="staff",
            **kw,
        )


async def test_a_fresh_reply_token_is_used_and_the_send_is_free(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    token = await world.real_reply_token(shop, friend)

    async with world.db.transaction(shop.workspace.id) as s:
        loaded = await s.get(Friend, friend.id)  # as a route would, before sending
        assert loaded is not None and loaded.reply_token == token
        row = await send_to_friend(s, shop.workspace.id, friend.id, [TEXT], idempotency_key="k1", source="staff")
        assert loaded.reply_token is None and loaded.reply_token_at is None
    assert (row.kind, row.reply_token, row.retry_key, row.status) == ("reply", token, None, "pending")
    async with world.db.session() as s:
        assert await s.scalar(select(Friend.reply_token).where(Friend.id == friend.id)) is None  # taken
        [message] = (await s.scalars(select(Message).where(Message.request_id == row.id))).all()
        assert (message.direction, message.kind, message.text, message.source) == ("out", "text", TEXT["text"], "staff")

    assert await world.deliver(row.id) == "accepted"
    [delivery] = await world.deliveries(shop, friend)
    assert delivery["endpoint"] == "reply" and delivery["message"]["text"] == TEXT["text"]
    done = await world.row(row.id)
    assert done.status == "accepted" and done.http_status == 200 and done.line_request_id == delivery["requestId"]
    assert done.accepted_at is not None and done.attempts == 1
    async with world.db.session() as s:
        ids = (await s.scalars(select(Message.line_message_id).where(Message.request_id == row.id))).all()
    assert ids == [delivery["messageId"]]


async def test_listeners_are_told_of_settled_requests_in_the_recording_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What builds on the outbox (delivery counting a broadcast) hears of settled sends instead of being imported."""
    heard: list[tuple[int, str, bool]] = []

    async def listener(session: Any, settled: Any, now: Any, jobs: Any) -> None:
        for row, status in settled:
            recorded = await session.scalar(select(LineRequest.status).where(LineRequest.id == row.id))
            heard.append((row.id, status, recorded == status))  # the outcome is written, not yet committed

    monkeypatch.setattr(delivering, "_settled_listeners", [])
    outbox.on_settled(listener)
    outbox.on_settled(listener)  # once per listener
    shop = await world.shop()
    row = await send(world, shop, await world.friend(shop))
    assert await world.deliver(row.id) == "accepted"
    assert heard == [(row.id, "accepted", True)]


async def test_without_a_fresh_token_it_is_a_push_with_a_retry_key(world: World) -> None:
    shop = await world.shop()
    none = await world.friend(shop)
    stale = await world.friend(shop)
    await world.real_reply_token(shop, stale, age=timedelta(seconds=55))  # older than the 50 s default

    for i, friend in enumerate((none, stale)):
        row = await send(world, shop, friend, key=f"k{i}")
        assert row.kind == "push" and row.reply_token is None and len(row.retry_key or "") == 36
        assert await world.deliver(row.id) == "accepted"
        [delivery] = await world.deliveries(shop, friend)
        assert (delivery["endpoint"], delivery["retryKey"]) == ("push", row.retry_key)

    # The stale token stays where it was: nobody used it.
    async with world.db.session() as s:
        assert await s.scalar(select(Friend.reply_token).where(Friend.id == stale.id)) is not None


async def test_reply_max_age_is_a_parameter(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    await world.real_reply_token(shop, friend, age=timedelta(seconds=20))
    row = await send(world, shop, friend, reply_max_age=timedelta(seconds=10))
    assert row.kind == "push"
    assert OutboxSettings.from_settings(
        world.settings.with_changes(extra={"ENISHI_REPLY_TOKEN_MAX_AGE_SECONDS": "30"})
    ).reply_max_age == timedelta(seconds=30)


async def test_asking_twice_with_one_idempotency_key_is_a_no_op(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    first = await send(world, shop, friend, key="scenario:7:step:3")
    again = await send(world, shop, friend, [{"type": "text", "text": "別の文"}], key="scenario:7:step:3")
    assert again.id == first.id and again.messages == [TEXT]
    async with world.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(LineRequest)) == 1
        assert await s.scalar(select(func.count()).select_from(Message)) == 1


async def test_a_reply_token_is_used_once_under_concurrency(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    await world.real_reply_token(shop, friend)

    async def sender(key: str) -> LineRequest:
        # SQLite refuses a write whose transaction read before another writer committed ("database is locked",
        # by the core's design: never a lost update); the caller then runs its transaction again.
        while True:
            try:
                return await send(world, shop, friend, key=key)
            except OperationalError as exc:
                if world.env.backend != "sqlite" or "locked" not in str(exc):
                    raise
                await asyncio.sleep(0.01)

    rows = await asyncio.gather(*(sender(f"c{i}") for i in range(5)))
    assert sorted(r.kind for r in rows) == ["push", "push", "push", "push", "reply"]
    for row in rows:
        assert await world.deliver(row.id) == "accepted"
    deliveries = await world.deliveries(shop, friend)
    assert sorted(d["endpoint"] for d in deliveries) == ["push", "push", "push", "push", "reply"]


async def test_the_retry_key_is_stored_before_the_call_and_sent_with_it(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    row = await send(world, shop, friend)
    seen: list[tuple[str, str | None, str]] = []

    class Spy(LineGateway):
        async def push(self, channel: Channel, to: str, messages: Any, *, retry_key: str, attempt: int = 0) -> Outcome:
            stored = await world.row(row.id)  # what another process would read while the call is under way
            seen.append((stored.status, stored.retry_key, retry_key))
            return await super().push(channel, to, messages, retry_key=retry_key, attempt=attempt)

    spy = Spy(world.settings)
    try:
        assert await world.deliver(row.id, spy) == "accepted"
    finally:
        await spy.close()
    assert seen == [("sending", row.retry_key, row.retry_key)]
    [delivery] = await world.deliveries(shop, friend)
    assert delivery["retryKey"] == row.retry_key


async def test_a_worker_killed_between_sending_and_recording_never_sends_twice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    row = await send(world, shop, friend)

    async def killed(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("worker killed after LINE accepted the request")

    with monkeypatch.context() as m:
        m.setattr(delivering, "_record", killed)
        with pytest.raises(RuntimeError, match="worker killed"):
            await world.deliver(row.id)
    [delivery] = await world.deliveries(shop, friend)
    stuck = await world.row(row.id)
    assert stuck.status == "sending" and stuck.next_attempt_at > utcnow()  # its lease
    assert await world.deliver(row.id) == "not_due"  # nobody else sends while the lease lasts

    await world.make_due(row.id)  # the lease ran out: the sweeper would enqueue it again
    assert await world.deliver(row.id) == "accepted"
    assert len(await world.deliveries(shop, friend)) == 1
    done = await world.row(row.id)
    assert done.http_status == 409 and done.line_request_id == delivery["requestId"] and done.attempts == 2


async def test_409_already_accepted_counts_as_accepted(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    channel = Channel.of(shop.workspace)
    key = "0b9cf1d4-4f0f-4d5e-9a52-6b1c8d1e2f30"
    first = await world.gateway.push(channel, friend.line_user_id, [TEXT], retry_key=key)
    second = await world.gateway.push(channel, friend.line_user_id, [TEXT], retry_key=key)
    assert isinstance(first, Accepted) and isinstance(second, Accepted)
    assert not first.already and second.already
    assert second.status == 409 and second.request_id == first.request_id
    assert second.sent_message_ids == first.sent_message_ids
    assert len(await world.deliveries(shop, friend)) == 1


async def test_a_5xx_after_processing_is_retried_with_backoff_and_delivers_once(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    row = await send(world, shop, friend)
    gateway = world.make_gateway(retry_base=30.0, retry_cap=60.0)
    try:
        await world.faults(errorRate=1.0, afterProcessing=True, endpoints=["push"])
        before = utcnow()
        assert await world.deliver(row.id, gateway) == "pending"
        retry = await world.row(row.id)
        assert retry.attempts == 1 and retry.http_status == 500 and "500" in (retry.error or "")
        assert before <= retry.next_attempt_at <= before + timedelta(seconds=31)
        assert await world.deliver(row.id, gateway) == "not_due"

        await world.faults()
        await world.make_due(row.id)
        assert await world.deliver(row.id, gateway) == "accepted"
    finally:
        await gateway.close()
    assert len(await world.deliveries(shop, friend)) == 1  # the retry got 409: LINE had it already
    done = await world.row(row.id)
    assert (done.status, done.http_status, done.attempts) == ("accepted", 409, 2)


async def test_timeouts_and_dropped_connections_are_retried(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    gateway = world.make_gateway(timeout=0.3)
    try:
        row = await send(world, shop, friend, key="slow")
        await world.faults(latencyMs=800, endpoints=["push"])
        assert await world.deliver(row.id, gateway) == "pending"
        assert "no answer" in ((await world.row(row.id)).error or "")
        await asyncio.sleep(1.0)  # the emulator may still carry it out after we gave up: the ambiguous case

        dropped = await send(world, shop, friend, key="dropped")
        await world.faults(dropRate=1.0, afterProcessing=True, endpoints=["push"])
        assert await world.deliver(dropped.id, gateway) == "pending"
        assert "connection" in ((await world.row(dropped.id)).error or "").lower()

        await world.faults()
        for request_id in (row.id, dropped.id):
            await world.make_due(request_id)
            assert await world.deliver(request_id, gateway) == "accepted"
    finally:
        await gateway.close()
    assert len(await world.deliveries(shop, friend)) == 2  # one each, whatever the first tries did


async def test_an_unreachable_line_does_not_count_as_an_attempt(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    row = await send(world, shop, friend)
    nowhere = LineGateway(world.settings.with_changes(line_api_url="http://127.0.0.1:9"))
    try:
        assert await world.deliver(row.id, nowhere) == "pending"
    finally:
        await nowhere.close()
    refused = await world.row(row.id)
    assert refused.attempts == 0 and "cannot connect" in (refused.error or "")


async def test_other_4xx_are_not_retried_and_lines_message_is_stored(world: World) -> None:
    shop = await world.shop()
    stranger = await world.friend(shop, known_to_line=False)
    row = await send(world, shop, stranger)
    assert await world.deliver(row.id) == "failed"
    failed = await world.row(row.id)
    assert (failed.status, failed.http_status, failed.attempts) == ("failed", 400, 1)
    assert failed.error == "400 Failed to send messages"
    assert await world.deliver(row.id) == "failed"  # nothing more happens
    assert (await world.row(row.id)).attempts == 1

    friend = await world.friend(shop)
    too_long = await send(world, shop, friend, [{"type": "text", "text": "あ" * 5001}], key="long")
    assert await world.deliver(too_long.id) == "failed"
    error = (await world.row(too_long.id)).error or ""
    assert error.startswith("400 The request body has 1 error(s)") and "messages[0].text" in error
    assert await world.deliveries(shop, friend) == []


async def test_an_expired_reply_token_falls_back_to_a_push(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop, reply_token="f" * 32)  # fresh to us, unknown to LINE
    row = await send(world, shop, friend)
    assert row.kind == "reply"
    assert await world.deliver(row.id) == "accepted"
    [delivery] = await world.deliveries(shop, friend)
    done = await world.row(row.id)
    assert (done.kind, done.reply_token, done.status, done.attempts) == ("push", None, "accepted", 1)
    assert delivery["endpoint"] == "push" and delivery["retryKey"] == done.retry_key


async def test_a_rejected_token_after_an_ambiguous_reply_is_not_followed_by_a_push(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    await world.real_reply_token(shop, friend)
    row = await send(world, shop, friend)
    await world.faults(errorRate=1.0, afterProcessing=True, endpoints=["reply"])  # delivered, then a 500
    assert await world.deliver(row.id) == "pending"
    await world.faults()
    await world.make_due(row.id)
    assert await world.deliver(row.id) == "failed"  # the token was used by the first try
    failed = await world.row(row.id)
    assert failed.kind == "reply" and "Invalid reply token" in (failed.error or "")
    assert len(await world.deliveries(shop, friend)) == 1


async def test_more_than_five_messages_go_in_order_five_per_request(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    await world.real_reply_token(shop, friend)
    texts = [{"type": "text", "text": f"{i}通目"} for i in range(1, 8)]
    row = await send(world, shop, friend, texts)
    assert row.kind == "push"  # a reply cannot carry 7, and its token is left for the next send
    assert await world.deliver(row.id) == "accepted"
    deliveries = await world.deliveries(shop, friend)
    assert [d["message"]["text"] for d in deliveries] == [t["text"] for t in texts]
    assert len({d["requestId"] for d in deliveries}) == 2
    assert [d["retryKey"] for d in deliveries] == [row.retry_key] * 5 + [part_key(row.retry_key or "", 1)] * 2
    async with world.db.session() as s:
        ids = (
            await s.scalars(select(Message.line_message_id).where(Message.request_id == row.id).order_by(Message.id))
        ).all()
    assert ids == [d["messageId"] for d in deliveries]


async def test_a_split_send_that_stops_part_way_resumes_after_the_accepted_parts(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    texts = [{"type": "text", "text": f"{i}通目"} for i in range(1, 12)]  # parts of 5, 5, 1
    row = await send(world, shop, friend, texts)
    calls = 0

    class SecondPartFails(LineGateway):
        async def _send(self, *args: Any, **kwargs: Any) -> Outcome:
            nonlocal calls
            calls += 1
            if calls == 2:
                return RetryLater(delay=0.0, reason="injected 503", status=503)
            return await super()._send(*args, **kwargs)

    gateway = SecondPartFails(world.settings)
    try:
        assert await world.deliver(row.id, gateway) == "pending"
        partial = await world.row(row.id)
        assert partial.messages == texts[5:] and partial.retry_key == part_key(row.retry_key or "", 1)
        assert await world.deliver(row.id, gateway) == "accepted"
    finally:
        await gateway.close()
    deliveries = await world.deliveries(shop, friend)
    assert [d["message"]["text"] for d in deliveries] == [t["text"] for t in texts]
    async with world.db.session() as s:
        ids = (
            await s.scalars(select(Message.line_message_id).where(Message.request_id == row.id).order_by(Message.id))
        ).all()
    assert ids == [None] * 5 + [d["messageId"] for d in deliveries[5:]]  # those LINE told us about


async def test_it_gives_up_after_the_configured_attempts(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    row = await send(world, shop, friend)
    world.outbox = OutboxSettings(max_attempts=2)
    await world.faults(errorRate=1.0, endpoints=["push"])
    assert await world.deliver(row.id) == "pending"
    await world.make_due(row.id)
    assert await world.deliver(row.id) == "failed"
    failed = await world.row(row.id)
    assert failed.attempts == 2 and (failed.error or "").startswith("gave up after 2 attempts: 500")
    assert await world.deliveries(shop, friend) == []


async def test_quota_exhausted_stops_pushes_of_the_workspace_and_holds_them(world: World) -> None:
    shop = await world.shop()
    other_shop = await world.shop("別の店舗")
    alice, bob = await world.friend(shop), await world.friend(shop)
    carol = await world.friend(shop)
    await world.real_reply_token(shop, carol)
    outsider = await world.friend(other_shop)
    await world.quota(shop, limit=1, consumption=1)

    first = await send(world, shop, alice, key="a")
    waiting = await send(world, shop, bob, key="b")
    elsewhere = await send(world, other_shop, outsider, key="x")
    assert await world.deliver(first.id) == "held"
    assert (await world.workspace(shop)).quota_exhausted_at is not None
    held = await world.row(first.id)
    assert held.status == "held" and held.attempts == 0 and "monthly limit" in (held.error or "")
    assert (await world.row(waiting.id)).status == "held"
    assert await world.deliver(waiting.id) == "held"  # not even tried
    assert (await world.row(elsewhere.id)).status == "pending"  # another workspace goes on
    assert await world.deliver(elsewhere.id) == "accepted"

    later = await send(world, shop, bob, key="c")
    assert later.status == "held"
    reply = await send(world, shop, carol, key="r")  # replies are free: they still go
    assert reply.kind == "reply" and await world.deliver(reply.id) == "accepted"

    await world.quota(shop, limit=None)
    async with world.db.transaction() as s:
        assert await release_quota_hold(s, shop.workspace.id) == 3
    assert (await world.workspace(shop)).quota_exhausted_at is None
    for request_id in (first.id, waiting.id, later.id):
        assert await world.deliver(request_id) == "accepted"
    assert len(await world.deliveries(shop, alice)) == 1 and len(await world.deliveries(shop, bob)) == 2


async def test_a_blocked_friend_gets_a_failed_row_and_no_call(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop, status="blocked")
    row = await send(world, shop, friend)
    assert row.status == "failed" and "blocked" in (row.error or "")
    assert await world.deliver(row.id) == "failed"
    assert await world.deliveries(shop, friend) == []


async def test_a_worker_that_lost_its_claim_does_not_record(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    row = await send(world, shop, friend)
    claimed = await delivering._claim(world.db, row.id, world.outbox)
    assert not isinstance(claimed, str)
    mine, _channel = claimed
    async with world.db.transaction() as s:  # the lease ran out and another worker claimed it
        await s.execute(update(LineRequest).where(LineRequest.id == row.id).values(attempts=LineRequest.attempts + 1))
    outcome = RetryLater(delay=0.0, reason="late")
    assert await delivering._record(world.db, mine, outcome, world.outbox, None) == "lost"
    assert (await world.row(row.id)).status == "sending"


async def test_send_to_friend_refuses_what_line_would_refuse(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    with pytest.raises(ValueError, match="empty"):
        await send(world, shop, friend, [])
    with pytest.raises(ValueError, match=r"messages\[0\]"):
        await send(world, shop, friend, [{"type": "nope"}])
    with pytest.raises(LookupError):
        async with world.db.transaction(shop.workspace.id) as s:
            await send_to_friend(s, shop.workspace.id, 10**9, [TEXT], idempotency_key="x", source="staff")
    other = await world.shop("他")
    with pytest.raises(ValueError, match="scoped"):
        async with world.db.transaction(other.workspace.id) as s:
            await send_to_friend(s, shop.workspace.id, friend.id, [TEXT], idempotency_key="x", source="staff")


async def test_a_row_whose_worker_keeps_dying_ends_as_failed(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    row = await send(world, shop, friend)
    world.outbox = OutboxSettings(max_attempts=2)

    async def killed(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("worker killed")

    with monkeypatch.context() as m:
        m.setattr(delivering, "_record", killed)
        for _ in range(2):
            with pytest.raises(RuntimeError):
                await world.deliver(row.id)
            await world.make_due(row.id)
    assert await world.deliver(row.id) == "failed"
    failed = await world.row(row.id)
    assert "gave up after 2 attempts whose outcome is unknown" in (failed.error or "")
    assert len(await world.deliveries(shop, friend)) == 1  # the second try got 409


async def test_an_unexpected_error_in_the_call_is_retried_and_counted(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    row = await send(world, shop, friend)

    class Broken(LineGateway):
        async def push(self, *args: Any, **kwargs: Any) -> Outcome:
            raise ValueError("a stored secret cannot be decrypted")

    broken = Broken(world.settings)
    try:
        assert await world.deliver(row.id, broken) == "pending"
    finally:
        await broken.close()
    retry = await world.row(row.id)
    assert retry.attempts == 1 and "unexpected error" in (retry.error or "")


def test_outbox_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "ENISHI_LINE_MAX_ATTEMPTS": "4",
        "ENISHI_LINE_LEASE_SECONDS": "30",
        "ENISHI_REPLY_TOKEN_MAX_AGE_SECONDS": "45",
    }
    config = OutboxSettings.from_settings(settings_for(tmp_path).with_changes(extra=env))
    assert (config.max_attempts, config.lease.total_seconds(), config.reply_max_age.total_seconds()) == (4, 30, 45)
    with pytest.raises(SettingsError, match="ENISHI_REPLY_TOKEN_MAX_AGE_SECONDS"):
        OutboxSettings.from_settings(
            settings_for(tmp_path).with_changes(extra={"ENISHI_REPLY_TOKEN_MAX_AGE_SECONDS": "90"})
        )
