"""When schedules run: a fixed UTC grid both runners share.

arq runs periodic jobs as cron entries (sets of seconds, minutes or hours), so ``Schedule.every`` must be
a whole number of seconds between 1 s and 1 day that divides a minute, an hour or a day evenly: 1, 2, 3, 4,
5, 6, 10, 12, 15, 20 or 30 seconds or minutes, or 1, 2, 3, 4, 6, 8, 12 or 24 hours. Runs fall on multiples
of ``every`` since midnight UTC (every 10 minutes → :00, :10, :20 …) in embedded mode and under arq alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from enishi.jobs.queue import JobError

# Schedules have no timeout field; they get the same default as a JobType.
SCHEDULE_TIMEOUT = timedelta(minutes=5)

_MINUTE, _HOUR, _DAY = 60, 3600, 86_400


class ScheduleError(JobError, ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CronSpec:
    """The arq ``cron(...)`` fields for one schedule; None leaves a field free."""

    second: frozenset[int]
    minute: frozenset[int] | None = None
    hour: frozenset[int] | None = None

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "second": set(self.second),
            "minute": None if self.minute is None else set(self.minute),
            "hour": None if self.hour is None else set(self.hour),
        }


def cron_spec(key: str, every: timedelta) -> CronSpec:
    """The cron fields that run ``key`` every ``every``, or a ScheduleError saying why that is impossible."""
    seconds = every.total_seconds()
    if seconds != int(seconds) or not 1 <= seconds <= _DAY:
        raise ScheduleError(f"schedule {key}: every={every} must be a whole number of seconds from 1 s to 1 day")
    step = int(seconds)
    if step < _MINUTE and _MINUTE % step == 0:
        return CronSpec(second=frozenset(range(0, 60, step)))
    if step < _HOUR and step % _MINUTE == 0 and _HOUR % step == 0:
        return CronSpec(second=frozenset({0}), minute=frozenset(range(0, 60, step // _MINUTE)))
    if step % _HOUR == 0 and _DAY % step == 0:
        return CronSpec(second=frozenset({0}), minute=frozenset({0}), hour=frozenset(range(0, 24, step // _HOUR)))
    raise ScheduleError(
        f"schedule {key}: every={every} does not divide a minute, an hour or a day evenly, so it cannot "
        "run on a fixed clock grid; use e.g. 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 seconds or minutes, "
        "or 1, 2, 3, 4, 6, 8, 12 or 24 hours"
    )


def next_tick(every_seconds: float, now: float, after: float = 0.0) -> float:
    """The first grid time (Unix seconds) later than both ``now`` and ``after``.

    ``after`` is the tick that just ran: a sleep that wakes a hair early must not run the same tick twice.
    """
    return max((math.floor(now / every_seconds) + 1) * every_seconds, after + every_seconds)
