"""Times of day as node configs and quiet hours write them (``"HH:MM"``), and the next moment at one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any


def parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def next_time_of_day(since: datetime, tz: Any, at: time, days_after: int) -> datetime:
    """``days_after`` days after the local date of ``since`` at ``at``; day 0 means the next such time."""
    local = since.astimezone(tz)
    day: date = local.date() + timedelta(days=days_after)
    candidate = datetime.combine(day, at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(day + timedelta(days=1), at, tzinfo=tz)
    return candidate
