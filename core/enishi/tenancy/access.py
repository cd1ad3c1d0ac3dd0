"""Resolves what a staff member may do in a workspace: visible at all, role, permissions, enabled plugins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.models import AgencyMembership, Plan, User, Workspace, WorkspaceMembership
from enishi.plugin_host import PluginHost
from enishi.tenancy.permissions import higher_role, permissions_of
from enishi.tenancy.plans import enabled_plugins, plugin_settings


@dataclass(frozen=True)
class WorkspaceAccess:
    workspace: Workspace
    plan: Plan
    role: str
    permissions: frozenset[str]
    enabled_plugins: frozenset[str]
    plugin_settings: dict[str, dict[str, Any]]

    @property
    def workspace_id(self) -> int:
        return self.workspace.id


async def role_in(session: AsyncSession, user: User, workspace: Workspace) -> str | None:
    """The user's role in the workspace; None means the workspace does not exist for them."""
    if user.is_platform_admin:
        return "owner"
    member = await session.scalar(
        select(WorkspaceMembership.role)
        .where(WorkspaceMembership.workspace_id == workspace.id, WorkspaceMembership.user_id == user.id)
        .execution_options(all_workspaces=True)
    )
    agency = await session.scalar(
        select(AgencyMembership.role).where(
            AgencyMembership.agency_id == workspace.agency_id, AgencyMembership.user_id == user.id
        )
    )
    return higher_role(member, agency)


async def resolve_access(
    session: AsyncSession, host: PluginHost, user: User, workspace_id: int
) -> WorkspaceAccess | None:
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        return None
    role = await role_in(session, user, workspace)
    if role is None:
        return None
    plan = await session.get_one(Plan, workspace.plan_id)
    enabled = await enabled_plugins(session, host, workspace.id, plan)
    perms = await permissions_of(session, host.registry, workspace.id, role, enabled)
    return WorkspaceAccess(
        workspace=workspace,
        plan=plan,
        role=role,
        permissions=perms,
        enabled_plugins=enabled,
        plugin_settings=await plugin_settings(session, workspace.id),
    )


def visible_workspaces_query(user: User) -> Any:
    """Workspaces the user may see: all for a platform admin, else agency-wide plus direct memberships."""
    query = select(Workspace).order_by(Workspace.id)
    if user.is_platform_admin:
        return query
    via_agency = select(AgencyMembership.agency_id).where(AgencyMembership.user_id == user.id)
    direct = select(WorkspaceMembership.workspace_id).where(WorkspaceMembership.user_id == user.id)
    return query.where(Workspace.agency_id.in_(via_agency) | Workspace.id.in_(direct))
