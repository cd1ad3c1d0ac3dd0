"""What a job needs to act in one workspace: its time zone, enabled plugins and their settings.

:func:`open_workspace` is the public way for code that runs outside a request or a hook (a job, a schedule, a
public page) to get the ``WorkspaceContext`` a hook would get.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.context import WorkspaceContext
from enishi.db.base import utcnow
from enishi.models import Plan, Workspace
from enishi.tenancy.plans import enabled_plugins, plugin_settings

if TYPE_CHECKING:
    from enishi.db.engine import Database
    from enishi.jobs.queue import JobQueue
    from enishi.plugin_host import PluginHost
    from enishi.settings import Settings


class Runtime(Protocol):
    """What acting in a workspace needs: a job's ``JobContext``, or the app's services
    (``request.app.state["enishi"]``) in a public route."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def host(self) -> PluginHost: ...
    @property
    def jobs(self) -> JobQueue | None: ...


class WorkspaceUnavailable(LookupError):
    """The workspace does not exist (any more), or the plugin asked for is off there."""


@dataclass(frozen=True)
class WorkspaceState:
    """Read once per job (not once per event or step) and shared by everything the job does there."""

    timezone: str
    enabled: frozenset[str]
    plugin_settings: dict[str, dict[str, Any]]
    quiet_hours: dict[str, Any] | None = None  # the workspace's default quiet hours for scenario pushes


async def workspace_state(ctx: Runtime, workspace_id: int) -> WorkspaceState:
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
    ctx: Runtime, session: AsyncSession, workspace_id: int, state: WorkspaceState, now: datetime | None = None
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


async def plugin_enabled(ctx: Runtime, workspace_id: int, plugin: str) -> bool:
    """Whether ``plugin`` is on in the workspace (False when there is no such workspace)."""
    try:
        return plugin in (await workspace_state(ctx, workspace_id)).enabled
    except NoResultFound:
        return False


@asynccontextmanager
async def open_workspace(
    ctx: Runtime, workspace_id: int, *, plugin: str | None = None, now: datetime | None = None
) -> AsyncIterator[WorkspaceContext]:
    """The workspace's ``WorkspaceContext`` (its session scoped to it, its time zone, enabled plugins and their
    settings), in a transaction of its own, committed when the block ends and rolled back if it raises. For code
    that runs outside a request or a hook: a job, a schedule, a public page (pass ``request.app.state["enishi"]``).

    Raises :class:`WorkspaceUnavailable` before anything runs when the workspace does not exist, or when
    ``plugin`` is given and is off there: pass your plugin's name so that nothing happens where it is off."""
    try:
        state = await workspace_state(ctx, workspace_id)
    except NoResultFound:
        raise WorkspaceUnavailable(f"no workspace {workspace_id}") from None
    if plugin is not None and plugin not in state.enabled:
        raise WorkspaceUnavailable(f"plugin {plugin} is off in workspace {workspace_id}")
    async with ctx.db.transaction(workspace_id) as session:
        yield workspace_context(ctx, session, workspace_id, state, now)
