"""Quiet hours (配信しない時間帯): when pushes from scenarios wait. Replies are never held: they are free and
answer something the friend just did."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from enishi.context import WorkspaceContext
from enishi.models.tenancy import Workspace
from enishi.scenarios.times import parse_time

# A new workspace's default; each workspace sets its own, and a scenario may override it.
WORKSPACE_DEFAULT: Mapping[str, Any] = {"enabled": True, "start": "22:00", "end": "08:00"}


def effective_quiet_hours(
    settings: Mapping[str, Any], workspace_default: Mapping[str, Any] | None
) -> Mapping[str, Any]:
    """The scenario's own quiet hours when it sets them, else the workspace's."""
    own = settings.get("quiet_hours")
    if own is not None:
        return own
    return workspace_default if workspace_default is not None else WORKSPACE_DEFAULT


async def workspace_quiet_hours(ctx: WorkspaceContext) -> Mapping[str, Any] | None:
    quiet: Mapping[str, Any] | None = await ctx.session.scalar(
        select(Workspace.quiet_hours).where(Workspace.id == ctx.workspace_id)
    )
    return quiet


def in_quiet_hours(at: datetime, tz: Any, quiet: Mapping[str, Any]) -> datetime | None:
    """When the quiet period around ``at`` ends, or None when ``at`` is not in one."""
    if not quiet.get("enabled"):
        return None
    start, end = parse_time(quiet["start"]), parse_time(quiet["end"])
    if start == end:
        return None
    local = at.astimezone(tz)
    now: time = local.time()
    inside = start <= now < end if start < end else now >= start or now < end
    if not inside:
        return None
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)
