"""The gateway against the real emulator: splitting, reads, clients per workspace, and how answers are classified."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict
from sqlalchemy import insert, select, update

from enishi.crypto import SecretBox
from enishi.line.errors import (
    Accepted,
    LineError,
    QuotaExhausted,
    Rejected,
    RetryLater,
    backoff,
    classify_status,
)
from enishi.line.gateway import (
    Channel,
    GatewaySettings,
    LineGateway,
    close_gateways,
    gateway_for,
    load_channel,
    part_key,
)
from enishi.line.outbox import multicast_to_friends
from enishi.models import Friend, LineRequest, Message, Workspace
from enishi.settings import SettingsError
from tests.conftest import settings_for
from tests.line.gateway.conftest import World

TEXT = {"type": "text", "text": "セールのお知らせ"}


async def test_multicast_is_split_into_requests_of_at_most_500_ids_and_5_messages(world: World) -> None:
    shop = await world.shop()
    users = [world.emulator.add_user(shop.channel_id, following=True).user_id for _ in range(1201)]
    channel = Channel.of(shop.workspace)
    messages = [{"type": "text", "text": f"{i}"} for i in range(7)]  # parts of 5 and 2
    key = str(uuid.uuid4())

    outcome = await world.gateway.multicast(channel, users, messages, retry_key=key)
    assert isinstance(outcome, Accepted) and not outcome.already
    requests: Counter[str] = Counter()
    keys: set[str] = set()
    for user_id in users:
        delivered = world.emulator.deliveries(shop.channel_id, user_id)
        assert [e.message["text"] for e in delivered if e.message] == [m["text"] for m in messages]
        requests.update({e.request_id for e in delivered if e.request_id})
        keys.update(e.retry_key for e in delivered if e.retry_key)
    # 3 groups of ids (500, 500, 201) × 2 parts of messages = 6 requests, each with its own retry key.
    assert sorted(requests.values()) == [201, 201, 500, 500, 500, 500]
    assert keys == {part_key(key, i) for i in range(6)}

    again = await world.gateway.multicast(channel, users, messages, retry_key=key)
    assert isinstance(again, Accepted) and again.already and again.status == 409
    assert len(world.emulator.deliveries(shop.channel_id, users[0])) == 7  # nothing sent twice


async def test_the_outbox_records_a_multicast_as_rows_of_500(world: World) -> None:
    shop = await world.shop()
    ws = shop.workspace.id
    users = [world.emulator.add_user(shop.channel_id, following=True).user_id for _ in range(1001)]
    async with world.db.transaction(ws) as s:
        await s.execute(insert(Friend), [{"workspace_id": ws, "line_user_id": u} for u in users])
        await s.execute(update(Friend).where(Friend.line_user_id == users[0]).values(status="blocked"))
        ids = list((await s.scalars(select(Friend.id).order_by(Friend.id))).all())
        rows = await multicast_to_friends(s, ws, ids, [TEXT], idempotency_key="broadcast:1", source="broadcast")
    assert [len(r.recipients) for r in rows] == [500, 500] and all(r.kind == "multicast" for r in rows)
    assert [r.idempotency_key for r in rows] == ["broadcast:1:0", "broadcast:1:1"]
    for row in rows:
        assert await world.deliver(row.id) == "accepted"
    assert world.emulator.deliveries(shop.channel_id, users[0]) == []  # blocked: left out
    assert len(world.emulator.deliveries(shop.channel_id, users[1000])) == 1
    async with world.db.transaction(ws) as s:
        again = await multicast_to_friends(s, ws, ids, [TEXT], idempotency_key="broadcast:1", source="broadcast")
        assert [r.id for r in again] == [r.id for r in rows]
        assert await s.scalar(select(Message.id).where(Message.request_id == rows[1].id).limit(1)) is not None


async def test_reads_profile_followers_quota_and_rich_menu_links(world: World) -> None:
    shop = await world.shop()
    channel = Channel.of(shop.workspace)
    followers = [world.emulator.add_user(shop.channel_id, f"友だち{i}", following=True).user_id for i in range(5)]

    profile = await world.gateway.get_profile(channel, followers[0])
    assert (profile.user_id, profile.display_name) == (followers[0], "友だち0")
    pages = [page async for page in world.gateway.followers_ids(channel, page_size=2)]
    assert [len(p) for p in pages] == [2, 2, 1] and [u for p in pages for u in p] == followers

    await world.quota(shop, limit=500, consumption=12)
    quota = await world.gateway.quota(channel)
    assert (quota.type, quota.value) == ("limited", 500)
    assert (await world.gateway.quota_consumption(channel)).total_usage == 12

    await world.gateway.link_rich_menu(channel, followers[1], "richmenu-" + "a" * 32)
    assert world.emulator.user(shop.channel_id, followers[1]).rich_menu_id == "richmenu-" + "a" * 32
    await world.gateway.unlink_rich_menu(channel, followers[1])
    assert world.emulator.user(shop.channel_id, followers[1]).rich_menu_id is None

    with pytest.raises(LineError) as missing:
        await world.gateway.get_profile(channel, "U" + "0" * 32)
    assert isinstance(missing.value.outcome, Rejected) and missing.value.outcome.status == 404


async def test_one_client_per_workspace_rebuilt_when_the_token_changes(world: World) -> None:
    shop = await world.shop()
    async with world.db.session() as s:
        channel = await load_channel(s, shop.workspace.id)
    assert channel is not None and channel == Channel.of(shop.workspace)
    gateway = LineGateway(world.settings)
    try:
        first = gateway._api(channel)
        assert gateway._api(channel) is first
        assert isinstance(await gateway.quota(channel), object)

        # Staff change the channel's access token: the new one is used from the next call on.
        new_token = "token-" + uuid.uuid4().hex
        response = await world.control.patch(f"/_control/channels/{shop.channel_id}", json={"accessToken": new_token})
        assert response.status_code == 200
        with pytest.raises(LineError) as unauthorized:
            await gateway.quota(channel)
        assert isinstance(unauthorized.value.outcome, Rejected) and unauthorized.value.outcome.status == 401
        encrypted = SecretBox(world.settings.secret_keys).encrypt(new_token)
        async with world.db.transaction() as s:
            await s.execute(
                update(Workspace).where(Workspace.id == shop.workspace.id).values(line_access_token=encrypted)
            )
            changed = await load_channel(s, shop.workspace.id)
        assert changed is not None
        assert gateway._api(changed) is not first
        assert (await gateway.quota(changed)).type == "none"
    finally:
        await gateway.close()
    with pytest.raises(RuntimeError, match="closed"):
        gateway._api(channel)


async def test_a_reply_cannot_be_split_and_invalid_messages_are_rejected_unsent(world: World) -> None:
    shop = await world.shop()
    channel = Channel.of(shop.workspace)
    too_many = await world.gateway.reply(channel, "t" * 32, [TEXT] * 6)
    assert isinstance(too_many, Rejected) and too_many.status is None
    invalid = await world.gateway.push(channel, "U" + "1" * 32, [{"type": "text"}], retry_key=str(uuid.uuid4()))
    assert isinstance(invalid, Rejected) and invalid.message.startswith("invalid message")


async def test_the_process_gateway_is_shared_and_closed(world: World) -> None:
    one = gateway_for(world.settings)
    assert gateway_for(world.settings) is one
    other = gateway_for(world.settings.with_changes(extra={"ENISHI_LINE_TIMEOUT_SECONDS": "3"}))
    assert other is not one and other.config.timeout == 3.0
    await close_gateways()
    assert one.closed and other.closed
    assert gateway_for(world.settings) is not one
    await close_gateways()


# ---- classification, without a server ----------------------------------------------------------------------


def headers(**values: str) -> CIMultiDict[str]:
    return CIMultiDict({k.replace("_", "-"): v for k, v in values.items()})


def classify(status: int, body: Any, hdrs: Any = None, *, with_retry_key: bool = True, attempt: int = 0) -> Any:
    return classify_status(status, body, hdrs or headers(), attempt=attempt, with_retry_key=with_retry_key)


def test_409_is_accepted_only_for_a_retry_key() -> None:
    body = '{"message": "The retry key is already accepted", "sentMessages": [{"id": "1", "quoteToken": "q"}]}'
    outcome = classify(409, body, headers(X_Line_Accepted_Request_Id="req-1"))
    assert outcome == Accepted(status=409, request_id="req-1", already=True, sent_message_ids=("1",))
    conflict = classify(409, '{"message": "alias already exists"}', with_retry_key=False)
    assert isinstance(conflict, Rejected) and conflict.status == 409


def test_429_is_a_rate_limit_or_the_monthly_quota() -> None:
    limited = classify(429, '{"message": "The API rate limit has been exceeded. Try again later."}')
    assert isinstance(limited, RetryLater) and not limited.maybe_delivered and limited.status == 429
    after = classify(429, '{"message": "rate"}', headers(Retry_After="7"))
    assert isinstance(after, RetryLater) and after.delay >= 7
    assert classify(429, '{"message": "You have reached your monthly limit."}') == QuotaExhausted(
        message="You have reached your monthly limit."
    )


def test_5xx_retry_other_4xx_do_not_and_keep_lines_details() -> None:
    for status in (500, 502, 503, 504):
        outcome = classify(status, "<html>Bad gateway</html>")
        assert isinstance(outcome, RetryLater) and outcome.maybe_delivered and outcome.status == status
    detail = {"message": "May not be empty", "property": "messages[0].text"}
    body = json.dumps({"message": "The request body has 1 error(s)", "details": [detail]})
    rejected = classify(400, body)
    assert isinstance(rejected, Rejected) and rejected.details == (detail,)
    assert rejected.describe() == "400 The request body has 1 error(s) (messages[0].text: May not be empty)"
    assert classify(400, '{"message": "Invalid reply token"}').invalid_reply_token
    assert not classify(403, '{"message": "Access to this API is not available"}').invalid_reply_token
    assert classify(401, "").message == "HTTP 401"


def test_backoff_is_exponential_with_full_jitter_and_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("random.uniform", lambda low, high: high)
    assert [backoff(n, base=1, cap=60) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff(10_000, base=1, cap=300) == 300
    monkeypatch.undo()
    draws = [backoff(3, base=1, cap=60) for _ in range(200)]
    assert all(0 <= d <= 8 for d in draws) and max(draws) - min(draws) > 1  # spread out, not synchronized


def test_gateway_settings_are_read_with_clear_errors(tmp_path: Path) -> None:
    base = settings_for(tmp_path)
    config = GatewaySettings.from_settings(
        base.with_changes(extra={"ENISHI_LINE_TIMEOUT_SECONDS": "2.5", "ENISHI_LINE_RETRY_MAX_SECONDS": "60"})
    )
    assert (config.timeout, config.retry_base, config.retry_cap) == (2.5, 1.0, 60.0)
    with pytest.raises(SettingsError, match="ENISHI_LINE_TIMEOUT_SECONDS"):
        GatewaySettings.from_settings(base.with_changes(extra={"ENISHI_LINE_TIMEOUT_SECONDS": "soon"}))


async def test_many_sends_at_once_share_one_client(world: World) -> None:
    shop = await world.shop()
    channel = Channel.of(shop.workspace)
    users = [world.emulator.add_user(shop.channel_id, following=True).user_id for _ in range(40)]
    outcomes = await asyncio.gather(
        *(world.gateway.push(channel, u, [TEXT], retry_key=str(uuid.uuid4())) for u in users)
    )
    assert all(isinstance(o, Accepted) and len(o.sent_message_ids) == 1 for o in outcomes)
    assert len(world.gateway._clients) == 1
    async with world.db.session() as s:
        assert await s.scalar(select(LineRequest.id).limit(1)) is None  # the gateway alone writes nothing
