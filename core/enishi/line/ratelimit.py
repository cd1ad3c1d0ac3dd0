"""Per-channel, per-endpoint rate limits for calls to LINE, shared by every process through Redis when there is one.

LINE limits each channel per endpoint (DESIGN.md): 2,000 requests/s for push, reply, profile and rich-menu linking,
200/s (2,000/s since 2025-04) for multicast, 60/hour for narrowcast and broadcast, 100/hour for rich-menu
create/delete. Going over earns a 429 that we would only retry, so we keep under the limits ourselves.

The algorithm is GCRA (the "generic cell rate algorithm", a token bucket kept as one timestamp per key): each call
*reserves* the next free slot and learns how long to wait for it, so a caller sleeps exactly once — no polling and
no thundering herd — and callers are served in arrival order. With a burst of ``b`` and a limit of ``n`` per
period, slots are spaced ``period / (n - b + 1)`` apart, which keeps every window of one period at most ``n``
calls. A slot further away than the bounded wait is not reserved; the caller gets :class:`RateLimited` (a
``RetryLater``) and the outbox tries again later.

Why not the ``limits`` library: its strategies answer only "allowed now or not" (hit/test), so waiting for a slot
means polling its window reset and every waiter waking together; its exact moving window stores one Redis entry
per request (2,000 per key per second here); and its async Redis storage is built on ``coredis`` by default. The
30-line Lua script below runs on ``redis.asyncio``, which Enishi already has through arq.

Settings (all optional, read from ``settings.extra``):

- ``ENISHI_LINE_RATE_LIMIT`` — ``on`` (default) or ``off`` (benchmarks against the emulator).
- ``ENISHI_LINE_RATE_<ENDPOINT>`` — ``N/s``, ``N/m`` or ``N/h`` for one endpoint, e.g.
  ``ENISHI_LINE_RATE_MULTICAST=2000/s``. Endpoints: REPLY, PUSH, MULTICAST, NARROWCAST, BROADCAST, PROFILE,
  FOLLOWERS, QUOTA, RICH_MENU_LINK, RICH_MENU_CREATE, and DEFAULT for any other.
- ``ENISHI_LINE_RATE_MAX_WAIT_SECONDS`` — the longest a call waits for its slot before RetryLater (default 10).
- ``ENISHI_LINE_RATE_KEY_PREFIX`` — Redis key prefix (default ``enishi:ratelimit``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from enishi.line.errors import RateLimited, RetryLater
from enishi.settings import Settings, SettingsError, env_bool, env_float

log = logging.getLogger("enishi.line.ratelimit")

PREFIX = "ENISHI_LINE_RATE_"
_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` calls in any window of ``period`` seconds, up to ``burst`` of them at once."""

    limit: int
    period: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period <= 0 or not 1 <= self.burst <= self.limit:
            raise ValueError(f"invalid rate {self.limit}/{self.period}s with burst {self.burst}")

    @classmethod
    def per(cls, limit: int, period: float) -> Rate:
        """A rate with the default burst: 5 % of the limit for per-second limits, none for slower ones."""
        burst = max(1, limit // 20) if period <= 1.0 else 1
        return cls(limit, period, burst)

    @property
    def interval(self) -> float:
        """Seconds between two slots once the burst is used up."""
        return self.period / (self.limit - self.burst + 1)

    @property
    def tolerance(self) -> float:
        """How far ahead of the schedule a call may go (what lets ``burst`` calls through at once)."""
        return (self.burst - 1) * self.interval


DEFAULT_RATES: Mapping[str, Rate] = {
    "reply": Rate.per(2000, 1),
    "push": Rate.per(2000, 1),
    "multicast": Rate.per(200, 1),
    "narrowcast": Rate.per(60, 3600),
    "broadcast": Rate.per(60, 3600),
    "profile": Rate.per(2000, 1),
    "followers": Rate.per(2000, 1),
    "quota": Rate.per(2000, 1),
    "rich_menu_link": Rate.per(2000, 1),
    "rich_menu_create": Rate.per(100, 3600),
    "default": Rate.per(2000, 1),
}


@dataclass(frozen=True, kw_only=True)
class RateLimitSettings:
    enabled: bool = True
    rates: Mapping[str, Rate] = field(default_factory=lambda: dict(DEFAULT_RATES))
    max_wait: float = 10.0
    key_prefix: str = "enishi:ratelimit"

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimitSettings:
        return cls.from_env(settings.extra)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RateLimitSettings:
        rates = dict(DEFAULT_RATES)
        known = {f"{PREFIX}{name.upper()}" for name in DEFAULT_RATES}
        others = {"ENISHI_LINE_RATE_LIMIT", "ENISHI_LINE_RATE_MAX_WAIT_SECONDS", "ENISHI_LINE_RATE_KEY_PREFIX"}
        for variable, raw in env.items():
            if not variable.startswith(PREFIX) or variable in others:
                continue
            if variable not in known:
                names = ", ".join(sorted(n.upper() for n in DEFAULT_RATES))
                raise SettingsError(
                    variable, f"unknown LINE endpoint; ENISHI_LINE_RATE_<ENDPOINT> takes one of {names}"
                )
            rates[variable.removeprefix(PREFIX).lower()] = parse_rate(variable, raw)
        prefix = env.get("ENISHI_LINE_RATE_KEY_PREFIX", "").strip() or "enishi:ratelimit"
        return cls(
            enabled=env_bool(env, "ENISHI_LINE_RATE_LIMIT", True),
            rates=rates,
            max_wait=env_float(env, "ENISHI_LINE_RATE_MAX_WAIT_SECONDS", 10.0, 0.0, 3600.0),
            key_prefix=prefix,
        )

    def rate(self, endpoint: str) -> Rate:
        return self.rates.get(endpoint) or self.rates["default"]


def parse_rate(variable: str, raw: str) -> Rate:
    """``"2000/s"``, ``"60/h"``, ``"100/hour"`` → Rate (with the default burst)."""
    count, _, unit = raw.strip().lower().partition("/")
    try:
        limit = int(count.strip())
    except ValueError:
        limit = 0
    period = _UNITS.get(unit.strip())
    if limit < 1 or period is None:
        raise SettingsError(
            variable, f"must look like 2000/s, 200/s or 60/h (requests per second, minute or hour), not {raw!r}"
        )
    return Rate.per(limit, period)


class RateLimiter:
    """Waits for a slot of a channel's endpoint: ``async with limiter.acquire(channel_id, "push"): ...``."""

    def __init__(self, config: RateLimitSettings) -> None:
        self.config = config

    @asynccontextmanager
    async def acquire(self, channel_id: str, endpoint: str) -> AsyncIterator[None]:
        """Wait (at most ``max_wait``) for the next slot; raises RateLimited when it is further away than that."""
        if self.config.enabled:
            wait = await self.reserve(channel_id, endpoint)
            if wait > 0:
                await asyncio.sleep(wait)
        yield

    async def reserve(self, channel_id: str, endpoint: str) -> float:
        """Take the next slot and return the seconds until it, or raise RateLimited without taking it."""
        rate = self.config.rate(endpoint)
        wait, granted = await self._reserve(f"{self.config.key_prefix}:{channel_id}:{endpoint}", rate)
        if not granted:
            raise RateLimited(
                RetryLater(
                    delay=wait,
                    reason=f"rate limit of {rate.limit} per {rate.period:g} s for {endpoint} on channel {channel_id}",
                    maybe_delivered=False,
                )
            )
        return wait

    async def _reserve(self, key: str, rate: Rate) -> tuple[float, bool]:
        raise NotImplementedError

    async def close(self) -> None:
        return None


class MemoryRateLimiter(RateLimiter):
    """One process's limits (embedded mode, no Redis). Not shared: with several processes use Redis."""

    def __init__(self, config: RateLimitSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(config)
        self._clock = clock
        self._tat: dict[str, float] = {}  # theoretical arrival time of the next call, per key

    async def _reserve(self, key: str, rate: Rate) -> tuple[float, bool]:
        # No await between reading and writing: asyncio makes this atomic within the process.
        now = self._clock()
        tat = max(self._tat.get(key, now), now)
        wait = tat - rate.tolerance - now
        if wait > self.config.max_wait:
            return wait, False
        self._tat[key] = tat + rate.interval
        return max(wait, 0.0), True


# GCRA with reservation, on Redis' own clock so processes on different machines agree. Times in microseconds.
_GCRA_LUA = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local wait = tat - tolerance - now
if wait > max_wait then return {0, wait} end
if wait < 0 then wait = 0 end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return {1, wait}
"""


class RedisRateLimiter(RateLimiter):
    """Limits shared by every web process and worker through one Redis key per channel and endpoint.

    If Redis cannot be reached the call goes ahead unlimited (logged): LINE's own 429 is retried anyway, and a
    limiter outage should not stop all sending.
    """

    def __init__(self, config: RateLimitSettings, redis_url: str, *, client: Any = None) -> None:
        super().__init__(config)
        from redis.asyncio import Redis

        self._redis: Any = client if client is not None else Redis.from_url(redis_url)
        self._owns_client = client is None
        self._script = self._redis.register_script(_GCRA_LUA)
        self._last_warning = 0.0

    async def _reserve(self, key: str, rate: Rate) -> tuple[float, bool]:
        from redis.exceptions import RedisError

        micro = 1_000_000
        args = [
            max(1, round(rate.interval * micro)),
            round(rate.tolerance * micro),
            round(self.config.max_wait * micro),
        ]
        try:
            granted, wait = await self._script(keys=[key], args=args)
        except (RedisError, OSError) as exc:
            now = time.monotonic()
            if now - self._last_warning > 60:
                self._last_warning = now
                log.warning("rate limiter Redis unavailable (%s); calling LINE without the shared limit", exc)
            return 0.0, True
        return int(wait) / micro, bool(int(granted))

    async def close(self) -> None:
        if self._owns_client:
            await self._redis.aclose()


class NoRateLimiter(RateLimiter):
    """Rate limiting switched off (ENISHI_LINE_RATE_LIMIT=off)."""

    async def _reserve(self, key: str, rate: Rate) -> tuple[float, bool]:
        return 0.0, True


def make_limiter(settings: Settings, config: RateLimitSettings | None = None) -> RateLimiter:
    """The limiter for this deployment: shared through Redis when ENISHI_REDIS_URL is set, in-process otherwise."""
    config = config or RateLimitSettings.from_settings(settings)
    if not config.enabled:
        return NoRateLimiter(config)
    if settings.redis_url:
        return RedisRateLimiter(config, settings.redis_url)
    return MemoryRateLimiter(config)
