"""Plan rules: which plugins a plan allows, and turning plugins on and off in a workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.manifest import tier_rank
from enishi.models import Plan, WorkspacePlugin
from enishi.plugin_host import PluginHost


class PlanDoesNotAllow(PermissionError):
    def __init__(self, plugin: str, plan: Plan) -> None:
        super().__init__(
            f"プラン「{plan.name_ja}」では「{plugin}」を使えません / "
            f"the plan '{plan.name_en}' does not include the plugin '{plugin}'"
        )
        self.plugin = plugin
        self.plan = plan


def plan_allows(plan: Plan, host: PluginHost, plugin: str) -> bool:
    if plan.allowed_plugins is not None:
        return plugin in plan.allowed_plugins
    manifest = host.manifest(plugin)
    return manifest is not None and tier_rank(manifest.tier) <= tier_rank(plan.tier)


async def enabled_plugins(session: AsyncSession, host: PluginHost, workspace_id: int, plan: Plan) -> frozenset[str]:
    """Loaded here, allowed by the plan and switched on in the workspace."""
    rows = await session.scalars(
        select(WorkspacePlugin.plugin).where(
            WorkspacePlugin.workspace_id == workspace_id, WorkspacePlugin.enabled.is_(True)
        )
    )
    loaded = host.loaded_names
    return frozenset(p for p in rows if p in loaded and plan_allows(plan, host, p))


async def plugin_settings(session: AsyncSession, workspace_id: int) -> dict[str, dict[str, Any]]:
    rows = await session.execute(
        select(WorkspacePlugin.plugin, WorkspacePlugin.settings).where(WorkspacePlugin.workspace_id == workspace_id)
    )
    return {plugin: settings or {} for plugin, settings in rows}


async def set_plugin_enabled(
    session: AsyncSession, host: PluginHost, workspace_id: int, plan: Plan, plugin: str, enabled: bool
) -> tuple[WorkspacePlugin, bool]:
    """Switch a plugin; returns the row and whether it was newly turned on. Its data is kept when turned off."""
    if enabled and not plan_allows(plan, host, plugin):
        raise PlanDoesNotAllow(plugin, plan)
    row = await session.scalar(
        select(WorkspacePlugin).where(WorkspacePlugin.workspace_id == workspace_id, WorkspacePlugin.plugin == plugin)
    )
    if row is None:
        row = WorkspacePlugin(workspace_id=workspace_id, plugin=plugin, enabled=False, settings={})
        session.add(row)
    turned_on = enabled and not row.enabled
    row.enabled = enabled
    row.disabled_reason = None if enabled else "staff"
    await session.flush()
    return row, turned_on


async def apply_plan(session: AsyncSession, host: PluginHost, workspace_id: int, plan: Plan) -> list[str]:
    """After a plan change: turn off what the plan no longer allows (data kept). Returns those plugins."""
    rows = await session.scalars(
        select(WorkspacePlugin).where(WorkspacePlugin.workspace_id == workspace_id, WorkspacePlugin.enabled.is_(True))
    )
    turned_off = []
    for row in rows:
        if not plan_allows(plan, host, row.plugin):
            row.enabled, row.disabled_reason = False, "plan"
            turned_off.append(row.plugin)
    await session.flush()
    return sorted(turned_off)
