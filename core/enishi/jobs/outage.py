"""Whether Redis is reachable, as the last attempt to use it found, shared by everything in a process that talks
to the same Redis (the web process's queue, a worker's poll loop and the queue its jobs enqueue through).

A lost connection is logged once when it is first noticed and once when it is back, however many jobs or requests
meet it in between; meanwhile attempts back off, so a dead Redis is not hammered and enqueueing fails at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

log = logging.getLogger("enishi.jobs")

# What a Redis that is down, restarting (BusyLoadingError is a ConnectionError) or cut off looks like. A connection
# lost in the middle of WATCH comes as a WatchError ("A ConnectionError occurred on while watching"); the WatchError
# of a watched key that changed is caught by arq (and ResilientWorker) where it happens and never gets this far.
REDIS_DOWN: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    WatchError,
    OSError,
    asyncio.TimeoutError,
)

BACKOFF_BASE = 0.25  # seconds before the second attempt, doubling up to BACKOFF_CAP
BACKOFF_CAP = 10.0

UNREACHABLE = (
    "Redis (ジョブキュー) に接続できません。未処理の作業はデータベースに残り、復旧後に定期処理が再開します。"
    " / Redis (the job queue) is unreachable; pending work stays in the database and is picked up when it is back."
)


class Outage:
    def __init__(
        self,
        name: str,
        *,
        base: float = BACKOFF_BASE,
        cap: float = BACKOFF_CAP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name  # where Redis is, for the log (no password)
        self._base, self._cap, self._clock = base, cap, clock
        self.down_since: float | None = None
        self.failures = 0
        self.last_error = ""
        self._retry_at = 0.0

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def may_try(self) -> bool:
        """Whether to try Redis now: always while it is up, and once the backoff is over while it is down."""
        return self.down_since is None or self._clock() >= self._retry_at

    def failed(self, exc: BaseException) -> float:
        """Record a failed attempt; returns how long to wait before the next one."""
        now = self._clock()
        self.last_error = f"{type(exc).__name__}: {exc}"
        if self.down_since is None:
            self.down_since = now
            log.warning("%s (%s, %s); reconnecting with backoff", UNREACHABLE, self.name, self.last_error)
        self.failures += 1
        delay = min(self._cap, self._base * 2 ** (self.failures - 1)) * random.uniform(0.5, 1.0)
        self._retry_at = now + delay
        return delay

    def recovered(self) -> None:
        if self.down_since is None:
            return
        log.warning(
            "Redis (ジョブキュー) に再接続しました / reconnected to Redis (%s) after %.1f s and %d failed attempt(s)",
            self.name,
            self._clock() - self.down_since,
            self.failures,
        )
        self.down_since, self.failures, self._retry_at = None, 0, 0.0


_outages: dict[str, Outage] = {}


def outage_for(name: str) -> Outage:
    """The one tracker of this process for the Redis at ``name`` (host:port/db)."""
    if name not in _outages:
        _outages[name] = Outage(name)
    return _outages[name]
