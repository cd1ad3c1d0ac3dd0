"""The outbox's job names, LINE's quota calendar and the settings a deployment may change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from enishi.settings import Settings, env_float, env_int

DELIVER_JOB = "core.deliver_line_request"
DELIVER_MANY_JOB = "core.deliver_line_requests"
SWEEP_SCHEDULE = "core.sweep_line_requests"
QUOTA_TIMEZONE = ZoneInfo("Asia/Tokyo")  # LINE's message quota runs by the Japanese calendar month
RETRY_KEY_LIFETIME = timedelta(hours=23)
# A batch's rows are its delivery job's for this long (that job may wait behind others) before the sweeper
# counts them as lost and sends them one by one.
BATCH_GRACE = timedelta(seconds=30)  # LINE remembers a retry key for 24 h; stay clear of the edge


@dataclass(frozen=True, kw_only=True)
class OutboxSettings:
    reply_max_age: timedelta = timedelta(seconds=50)
    max_attempts: int = 10
    lease: timedelta = timedelta(seconds=120)
    sweep_batch: int = 500

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboxSettings:
        env = settings.extra
        return cls(
            reply_max_age=timedelta(seconds=env_float(env, "ENISHI_REPLY_TOKEN_MAX_AGE_SECONDS", 50.0, 0.0, 60.0)),
            max_attempts=env_int(env, "ENISHI_LINE_MAX_ATTEMPTS", 10, 1, 100),
            lease=timedelta(seconds=env_float(env, "ENISHI_LINE_LEASE_SECONDS", 120.0, 10.0, 3600.0)),
        )
