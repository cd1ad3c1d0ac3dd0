"""What a job needs to act in one workspace: its time zone, enabled plugins and their settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.models import Plan, Workspace
from enishi.tenancy.plans import enabled_plugins, plugin_settings


@dataclass(frozen=True)
class WorkspaceState:
    """Read once per job (not once per event or step) and shared by everything the job does there."""

    timezone: str
    enabled: frozenset[str]
    plugin_settings: dict[str, dict[str, Any]]
    quiet_hours: dict[str, Any] | None = None  # the workspace's default quiet hours for scenario pushes


async def workspace_state(ctx: JobContext, workspace_id: int) -> WorkspaceState:
    async with ctx.db.session(workspace_id) as session:
        workspace = await session.get_one(Workspace, workspace_id)
        plan = await session.get_one(Plan, workspace.plan_id)
        return WorkspaceState(
            timezone=workspace.timezone,
            enabled=await enabled_plugins(session, ctx.host, workspace_id, plan),
            plugin_settings=await plugin_settings(session, workspace_id),
            quiet_hours=workspace.quiet_hours,
        )


def workspace_context(
    ctx: JobContext, session: AsyncSession, workspace_id: int, state: WorkspaceState, now: datetime | None = None
) -> WorkspaceContext:
    return WorkspaceContext(
        workspace_id=workspace_id,
        session=session,
        host=ctx.host,
        settings=ctx.settings,
        jobs=ctx.jobs,
        enabled_plugins=state.enabled,
        timezone=state.timezone,
        plugin_settings=state.plugin_settings,
        now=now or utcnow(),
    )
