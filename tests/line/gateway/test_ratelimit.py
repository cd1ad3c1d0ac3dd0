"""The per-channel, per-endpoint rate limiter: in-process, and shared through a real Redis."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from enishi.line.errors import RateLimited, RetryLater
from enishi.line.gateway import Channel
from enishi.line.outbox import send_to_friend
from enishi.line.ratelimit import (
    DEFAULT_RATES,
    MemoryRateLimiter,
    NoRateLimiter,
    Rate,
    RateLimitSettings,
    RedisRateLimiter,
    make_limiter,
    parse_rate,
)
from enishi.settings import SettingsError
from tests.conftest import settings_for, unavailable
from tests.line.gateway.conftest import World

REDIS_URL = os.environ.get("ENISHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def config(**rates: Rate) -> RateLimitSettings:
    return RateLimitSettings(rates={**DEFAULT_RATES, **rates}, max_wait=5.0, key_prefix=f"t:{uuid.uuid4().hex}")


# ---- settings ----------------------------------------------------------------------------------------------


def test_defaults_follow_lines_published_limits() -> None:
    defaults = RateLimitSettings.from_env({})
    assert defaults.enabled and defaults.max_wait == 10.0 and defaults.key_prefix == "enishi:ratelimit"
    for endpoint in ("push", "reply", "profile", "rich_menu_link"):
        assert (defaults.rate(endpoint).limit, defaults.rate(endpoint).period) == (2000, 1.0)
    assert (defaults.rate("multicast").limit, defaults.rate("multicast").period) == (200, 1.0)
    assert (defaults.rate("narrowcast").limit, defaults.rate("broadcast").period) == (60, 3600.0)
    assert defaults.rate("something_new") == defaults.rates["default"]


def test_limits_are_settings() -> None:
    custom = RateLimitSettings.from_env(
        {
            "ENISHI_LINE_RATE_MULTICAST": "2000/s",
            "ENISHI_LINE_RATE_BROADCAST": "30/hour",
            "ENISHI_LINE_RATE_MAX_WAIT_SECONDS": "2.5",
            "ENISHI_LINE_RATE_KEY_PREFIX": "shop",
            "ENISHI_LINE_RATE_LIMIT": "off",
        }
    )
    assert custom.rate("multicast") == Rate.per(2000, 1) and custom.rate("broadcast") == Rate(30, 3600, 1)
    assert (custom.enabled, custom.max_wait, custom.key_prefix) == (False, 2.5, "shop")
    assert parse_rate("X", "100/m") == Rate(100, 60, 1)


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("ENISHI_LINE_RATE_PUSH", "fast", "must look like 2000/s"),
        ("ENISHI_LINE_RATE_PUSH", "0/s", "must look like 2000/s"),
        ("ENISHI_LINE_RATE_PUSH", "10/day", "must look like 2000/s"),
        ("ENISHI_LINE_RATE_PUHS", "10/s", "unknown LINE endpoint"),
        ("ENISHI_LINE_RATE_LIMIT", "maybe", "on or off"),
        ("ENISHI_LINE_RATE_MAX_WAIT_SECONDS", "-1", "between"),
    ],
)
def test_wrong_settings_name_the_variable(variable: str, value: str, problem: str) -> None:
    with pytest.raises(SettingsError, match=problem) as error:
        RateLimitSettings.from_env({variable: value})
    assert error.value.variable == variable


async def test_the_limiter_fits_the_deployment(tmp_path: Path) -> None:
    embedded = settings_for(tmp_path)
    off = embedded.with_changes(extra={"ENISHI_LINE_RATE_LIMIT": "off"})
    shared = embedded.with_changes(redis_url=REDIS_URL)
    for settings, kind in ((embedded, MemoryRateLimiter), (off, NoRateLimiter), (shared, RedisRateLimiter)):
        limiter = make_limiter(settings)
        assert type(limiter) is kind
        await limiter.close()


# ---- the algorithm -----------------------------------------------------------------------------------------


class FakeClock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_rates_keep_every_window_within_the_limit() -> None:
    """Callers arriving at 4x the allowed rate, on a fake clock: no window of one period ever holds more than
    ``limit`` slots, the first ``burst`` go at once, and callers are served in arrival order."""
    for rate in (Rate.per(2000, 1), Rate.per(200, 1), Rate(10, 1, 4), Rate.per(60, 3600)):
        clock = FakeClock()
        limiter = MemoryRateLimiter(RateLimitSettings(rates={"default": rate}, max_wait=1e9), clock=clock)
        arrivals = [i * rate.period / (rate.limit * 4) for i in range(rate.limit * 3)]
        slots = []
        for arrival in arrivals:
            clock.now = arrival
            slots.append(arrival + await limiter.reserve("c", "x"))
        assert slots[: rate.burst] == arrivals[: rate.burst]
        assert slots == sorted(slots)
        first = 0
        for i, start in enumerate(slots):
            while slots[first] <= start - rate.period + 1e-6:  # float rounding at the boundary
                first += 1
            assert i - first + 1 <= rate.limit, (rate, i)


async def test_in_process_callers_wait_for_their_slot_once() -> None:
    limiter = MemoryRateLimiter(config(push=Rate(50, 1.0, 1)))
    reserve_calls = 0
    original = limiter._reserve

    async def counted(key: str, rate: Rate) -> tuple[float, bool]:
        nonlocal reserve_calls
        reserve_calls += 1
        return await original(key, rate)

    limiter._reserve = counted  # type: ignore[method-assign]
    started = time.monotonic()
    times: list[float] = []

    async def one() -> None:
        async with limiter.acquire("1650000001", "push"):
            times.append(time.monotonic() - started)

    await asyncio.gather(*(one() for _ in range(11)))
    assert reserve_calls == 11  # one reservation per call: nobody polls
    assert 0.18 <= max(times) < 1.0  # 10 intervals of 20 ms after the first
    # Another channel, or another endpoint of the same channel, has its own budget.
    before = time.monotonic()
    async with limiter.acquire("1650000002", "push"), limiter.acquire("1650000001", "profile"):
        pass
    assert time.monotonic() - before < 0.05


async def test_a_slot_beyond_the_bounded_wait_is_refused_without_taking_it() -> None:
    limiter = MemoryRateLimiter(RateLimitSettings(rates={"default": Rate(60, 3600, 1)}, max_wait=1.0))
    async with limiter.acquire("1650000001", "narrowcast"):
        pass
    for _ in range(2):
        with pytest.raises(RateLimited) as refused:
            async with limiter.acquire("1650000001", "narrowcast"):
                raise AssertionError("must not run")
        assert isinstance(refused.value.outcome, RetryLater)
        assert 59 < refused.value.outcome.delay <= 60 and not refused.value.outcome.maybe_delivered


async def test_switched_off_it_never_waits() -> None:
    limiter = NoRateLimiter(RateLimitSettings(enabled=False, rates={"default": Rate(1, 3600, 1)}, max_wait=0))
    for _ in range(100):
        async with limiter.acquire("c", "push"):
            pass


async def test_the_gateway_turns_a_refused_slot_into_retry_later_and_the_outbox_does_not_count_it(
    world: World,
) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    limiter = MemoryRateLimiter(RateLimitSettings(rates={"default": Rate(1, 3600, 1)}, max_wait=0.5))
    gateway = world.make_gateway()
    gateway.limiter = limiter
    try:
        async with world.db.transaction(shop.workspace.id) as s:
            first = await send_to_friend(
                s, shop.workspace.id, friend.id, [{"type": "text", "text": "1"}], idempotency_key="1", source="t"
            )
            second = await send_to_friend(
                s, shop.workspace.id, friend.id, [{"type": "text", "text": "2"}], idempotency_key="2", source="t"
            )
        assert await world.deliver(first.id, gateway) == "accepted"
        assert await world.deliver(second.id, gateway) == "pending"
        limited = await world.row(second.id)
        assert limited.attempts == 0 and "rate limit" in (limited.error or "")
        assert limited.next_attempt_at.timestamp() > time.time() + 3000  # the slot an hour away
        outcome = await gateway.push(
            Channel.of(shop.workspace),
            friend.line_user_id,
            [{"type": "text", "text": "x"}],
            retry_key=str(uuid.uuid4()),
        )
        assert isinstance(outcome, RetryLater) and not outcome.maybe_delivered
    finally:
        await gateway.close()
    assert len(await world.deliveries(shop, friend)) == 1


# ---- shared through Redis ----------------------------------------------------------------------------------


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    client = Redis.from_url(REDIS_URL)
    prefix = f"enishi-test:ratelimit:{uuid.uuid4().hex[:12]}"
    try:
        try:
            await client.ping()
        except (RedisError, OSError):
            unavailable(f"Redis at {REDIS_URL}")
        yield prefix
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_processes_share_the_limit_through_redis(redis_prefix: str) -> None:
    settings = RateLimitSettings(rates={"default": Rate(50, 1.0, 1)}, max_wait=5.0, key_prefix=redis_prefix)
    # Two limiters with their own connections stand for two processes (a web process and a worker).
    a, b = RedisRateLimiter(settings, REDIS_URL), RedisRateLimiter(settings, REDIS_URL)
    try:
        started = time.monotonic()
        times: list[float] = []

        async def one(limiter: RedisRateLimiter) -> None:
            async with limiter.acquire("1650000001", "push"):
                times.append(time.monotonic() - started)

        await asyncio.gather(*(one(a if i % 2 else b) for i in range(16)))
        assert 0.27 <= max(times) < 2.0  # 15 intervals of 20 ms, whichever process asked
        client = Redis.from_url(REDIS_URL)
        try:
            ttl = await client.pttl(f"{redis_prefix}:1650000001:push")
        finally:
            await client.aclose()
        assert 0 < ttl <= 2000  # the key expires by itself once idle
    finally:
        await a.close()
        await b.close()


@pytest.mark.redis
async def test_redis_bounded_wait_refuses_across_processes(redis_prefix: str) -> None:
    settings = RateLimitSettings(rates={"default": Rate(60, 3600, 1)}, max_wait=1.0, key_prefix=redis_prefix)
    a, b = RedisRateLimiter(settings, REDIS_URL), RedisRateLimiter(settings, REDIS_URL)
    try:
        async with a.acquire("1650000001", "broadcast"):
            pass
        with pytest.raises(RateLimited) as refused:
            async with b.acquire("1650000001", "broadcast"):
                pass
        assert 59 < refused.value.outcome.delay <= 60
        async with b.acquire("1650000002", "broadcast"):  # another channel
            pass
    finally:
        await a.close()
        await b.close()


async def test_an_unreachable_redis_does_not_stop_sending(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisRateLimiter(RateLimitSettings(rates={"default": Rate(1, 3600, 1)}), "redis://127.0.0.1:9/0")
    try:
        for _ in range(2):
            async with limiter.acquire("c", "push"):
                pass
    finally:
        await limiter.close()
    assert "calling LINE without the shared limit" in caplog.text
