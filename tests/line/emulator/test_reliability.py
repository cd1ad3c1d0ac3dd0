"""Retry keys, the monthly quota, rate limits, injected faults and blocked users behave as on LINE."""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
import pytest
from linebot.v3.messaging import AsyncMessagingApi, MulticastRequest, PushMessageRequest, TextMessage
from linebot.v3.messaging.exceptions import ApiException

from enishi_line_emulator import Faults, RateLimit
from tests.line.emulator.conftest import CHANNEL_ID, Line


def push(to: str, text: str = "hi") -> PushMessageRequest:
    return PushMessageRequest(to=to, messages=[TextMessage(text=text)])


def multicast(*to: str) -> MulticastRequest:
    return MulticastRequest(to=list(to), messages=[TextMessage(text="m")])


async def test_retry_key_repeat_is_409_with_the_first_request_id_and_no_second_delivery(
    line: Line, api: AsyncMessagingApi
) -> None:
    user = line.friend()
    key = str(uuid.uuid4())
    first = await api.push_message_with_http_info(push(user.user_id), x_line_retry_key=key)
    with pytest.raises(ApiException) as again:
        await api.push_message(push(user.user_id), x_line_retry_key=key)
    assert again.value.status == 409
    assert again.value.headers["X-Line-Accepted-Request-Id"] == first.headers["X-Line-Request-Id"]
    assert "already accepted" in again.value.body
    delivered = line.emulator.deliveries(CHANNEL_ID, user.user_id)
    assert len(delivered) == 1 and delivered[0].retry_key == key
    assert (await api.get_message_quota_consumption()).total_usage == 1

    other = str(uuid.uuid4())
    await api.multicast(multicast(user.user_id), x_line_retry_key=other)
    with pytest.raises(ApiException) as multi:
        await api.multicast(multicast(user.user_id), x_line_retry_key=other)
    assert multi.value.status == 409
    assert len(line.emulator.deliveries(CHANNEL_ID, user.user_id)) == 2


async def test_retry_key_is_forgotten_after_its_ttl(line: Line, api: AsyncMessagingApi) -> None:
    user = line.friend()
    line.emulator.retry_key_ttl = 0.05
    key = str(uuid.uuid4())
    await api.push_message(push(user.user_id), x_line_retry_key=key)
    await asyncio.sleep(0.1)
    await api.push_message(push(user.user_id), x_line_retry_key=key)
    assert len(line.emulator.deliveries(CHANNEL_ID, user.user_id)) == 2


async def test_monthly_quota_exhaustion_is_429(line: Line, api: AsyncMessagingApi) -> None:
    friends = [line.friend() for _ in range(3)]
    line.emulator.set_quota(CHANNEL_ID, 4)
    await api.push_message(push(friends[0].user_id))
    await api.multicast(multicast(*(u.user_id for u in friends)))  # 1 + 3 = 4: fits exactly
    with pytest.raises(ApiException) as over:
        await api.push_message(push(friends[1].user_id))
    assert over.value.status == 429
    assert "You have reached your monthly limit." in over.value.body
    assert (await api.get_message_quota_consumption()).total_usage == 4
    assert len(line.emulator.deliveries(CHANNEL_ID, friends[1].user_id)) == 1


async def test_rate_limit_is_429(line: Line, api: AsyncMessagingApi) -> None:
    user = line.friend()
    line.emulator.set_rate_limits({"push": RateLimit(3, 60)})
    for _ in range(3):
        await api.push_message(push(user.user_id))
    with pytest.raises(ApiException) as limited:
        await api.push_message(push(user.user_id))
    assert limited.value.status == 429
    assert "The API rate limit has been exceeded. Try again later." in limited.value.body
    await api.get_message_quota()  # another endpoint has its own budget
    line.emulator.set_rate_limits({"push": None})
    await api.push_message(push(user.user_id))


async def test_injected_errors_hit_about_their_share(line: Line, api: AsyncMessagingApi) -> None:
    user = line.friend()
    line.emulator.set_faults(error_rate=0.3, endpoints=frozenset({"push"}))
    failures = 0
    for _ in range(200):
        try:
            await api.push_message(push(user.user_id))
        except ApiException as exc:
            assert exc.status == 500 and exc.headers["X-Line-Request-Id"]
            failures += 1
    assert 35 <= failures <= 85
    assert len(line.emulator.deliveries(CHANNEL_ID, user.user_id)) == 200 - failures
    await api.get_message_quota()  # other endpoints are untouched


async def test_failure_after_processing_then_retry_is_409(line: Line, api: AsyncMessagingApi) -> None:
    user = line.friend()
    key = str(uuid.uuid4())
    line.emulator.set_faults(Faults(error_rate=1.0, after_processing=True))
    with pytest.raises(ApiException) as failed:
        await api.push_message(push(user.user_id), x_line_retry_key=key)
    assert failed.value.status == 500
    line.emulator.set_faults(Faults())
    with pytest.raises(ApiException) as again:
        await api.push_message(push(user.user_id), x_line_retry_key=key)
    assert again.value.status == 409
    assert len(line.emulator.deliveries(CHANNEL_ID, user.user_id)) == 1


async def test_dropped_connection_gets_no_answer(line: Line, api: AsyncMessagingApi) -> None:
    user = line.friend()
    line.emulator.set_faults(drop_rate=1.0)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.push_message(push(user.user_id))
    line.emulator.set_faults(Faults())
    await api.push_message(push(user.user_id))  # the server is fine afterwards
    assert len(line.emulator.deliveries(CHANNEL_ID, user.user_id)) == 1


async def test_added_latency(line: Line, api: AsyncMessagingApi) -> None:
    line.emulator.set_faults(latency_ms=150)
    started = time.perf_counter()
    await api.get_message_quota()
    assert time.perf_counter() - started >= 0.14


async def test_push_to_a_blocked_user_is_200_and_not_delivered(line: Line, api: AsyncMessagingApi) -> None:
    user = line.friend()
    await line.emulator.unfollow(CHANNEL_ID, user.user_id)
    response = await api.push_message_with_http_info(push(user.user_id))
    assert response.status_code == 200
    assert line.emulator.deliveries(CHANNEL_ID, user.user_id) == []
    assert (await api.get_message_quota_consumption()).total_usage == 0
    assert (await api.get_followers()).user_ids == []

    await line.emulator.follow(CHANNEL_ID, user.user_id)
    await api.push_message(push(user.user_id))
    assert len(line.emulator.deliveries(CHANNEL_ID, user.user_id)) == 1


async def test_concurrent_requests_keep_the_books_straight(line: Line, api: AsyncMessagingApi) -> None:
    friends = [line.friend() for _ in range(10)]
    key = str(uuid.uuid4())

    async def send(text: str, to: str, retry_key: str | None = None) -> int:
        try:
            await api.push_message(push(to, text), x_line_retry_key=retry_key)
        except ApiException as exc:
            return exc.status
        return 200

    same_key = await asyncio.gather(*(send("once", friends[0].user_id, key) for _ in range(20)))
    assert sorted(same_key) == [200] + [409] * 19
    assert len(line.emulator.deliveries(CHANNEL_ID, friends[0].user_id)) == 1

    line.emulator.set_quota(CHANNEL_ID, 151)
    statuses = await asyncio.gather(*(send(str(i), friends[i % 10].user_id) for i in range(200)))
    assert statuses.count(200) == 150 and statuses.count(429) == 50
    delivered = sum(len(line.emulator.deliveries(CHANNEL_ID, u.user_id)) for u in friends)
    assert delivered == 151 == (await api.get_message_quota_consumption()).total_usage
