"""Creating workspaces (one LINE channel each) and adding staff within the plan's seat limit."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.context import WorkspaceContext
from enishi.crypto import SecretBox
from enishi.db.base import UTCDateTime, utcnow
from enishi.models import Agency, Plan, User, Workspace, WorkspaceMembership
from enishi.plugin_host import PluginHost
from enishi.schema_validation import SchemaProblem
from enishi.settings import Settings
from enishi.tenancy.plans import enabled_plugins, plan_allows, set_plugin_enabled

CHANNEL_ID_RE = re.compile(r"^\d{10}$")
CHANNEL_SECRET_RE = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_PLAN_KEY = "start"


class SeatLimitReached(Exception):
    def __init__(self, plan: Plan) -> None:
        super().__init__(
            f"プラン「{plan.name_ja}」のスタッフ数上限({plan.staff_seats}人)に達しています / "
            f"the plan '{plan.name_en}' allows {plan.staff_seats} staff"
        )


@dataclass(frozen=True)
class ChannelCredentials:
    channel_id: str
    channel_secret: str
    access_token: str

    def problems(self, prefix: str = "$") -> list[SchemaProblem]:
        out = []
        if not CHANNEL_ID_RE.match(self.channel_id):
            out.append(SchemaProblem(f"{prefix}.channel_id", "LINE のチャネルIDは10桁の数字です / must be 10 digits"))
        if not CHANNEL_SECRET_RE.match(self.channel_secret):
            out.append(
                SchemaProblem(
                    f"{prefix}.channel_secret", "チャネルシークレットは32桁の16進数です / must be 32 hex characters"
                )
            )
        if not 20 <= len(self.access_token) <= 1000 or any(c.isspace() for c in self.access_token):
            out.append(
                SchemaProblem(f"{prefix}.access_token", "アクセストークンが不正です / not a channel access token")
            )
        return out


def webhook_url(settings: Settings, workspace: Workspace) -> str:
    return f"{settings.public_url}/webhook/{workspace.webhook_token}"


async def channel_taken(session: AsyncSession, channel_id: str, except_workspace: int | None = None) -> bool:
    query = select(Workspace.id).where(Workspace.line_channel_id == channel_id)
    if except_workspace is not None:
        query = query.where(Workspace.id != except_workspace)
    return (await session.scalar(query)) is not None


async def create_workspace(
    session: AsyncSession,
    *,
    host: PluginHost,
    settings: Settings,
    secrets_box: SecretBox,
    agency: Agency,
    name: str,
    credentials: ChannelCredentials,
    plan: Plan | None = None,
    timezone: str | None = None,
) -> Workspace:
    """Create the workspace and switch on every plugin its plan allows, seeding their defaults."""
    if plan is None:
        plan = await session.scalar(select(Plan).where(Plan.key == DEFAULT_PLAN_KEY))
        if plan is None:
            raise LookupError(f"no plan {DEFAULT_PLAN_KEY!r}; run `enishi db upgrade`")
    workspace = Workspace(
        agency_id=agency.id,
        plan_id=plan.id,
        name=name,
        timezone=timezone or settings.timezone,
        line_channel_id=credentials.channel_id,
        line_channel_secret=secrets_box.encrypt(credentials.channel_secret),
        line_access_token=secrets_box.encrypt(credentials.access_token),
        webhook_token=secrets.token_urlsafe(24),
    )
    session.add(workspace)
    await session.flush()
    newly = []
    for info in host.loaded:
        if plan_allows(plan, host, info.name):
            _, turned_on = await set_plugin_enabled(session, host, workspace.id, plan, info.name, True)
            if turned_on:
                newly.append(info.name)
    await notify_enabled(session, host, settings, workspace, plan, newly)
    return workspace


async def notify_enabled(
    session: AsyncSession,
    host: PluginHost,
    settings: Settings,
    workspace: Workspace,
    plan: Plan,
    plugins: list[str],
    actor_user_id: int | None = None,
) -> None:
    """Call ``enishi_workspace_plugin_enabled`` on each newly enabled plugin, in the caller's transaction."""
    if not plugins:
        return
    previous = session.info.get("workspace_id")
    session.info["workspace_id"] = workspace.id
    try:
        enabled = await enabled_plugins(session, host, workspace.id, plan)
        ctx = WorkspaceContext(
            workspace_id=workspace.id,
            session=session,
            host=host,
            settings=settings,
            jobs=None,
            enabled_plugins=enabled,
            timezone=workspace.timezone,
            actor_user_id=actor_user_id,
        )
        for plugin in plugins:
            await host.call("enishi_workspace_plugin_enabled", [plugin], ctx=ctx)
    finally:
        if previous is None:
            session.info.pop("workspace_id", None)
        else:
            session.info["workspace_id"] = previous


async def add_member(session: AsyncSession, workspace: Workspace, user: User, role: str) -> WorkspaceMembership:
    """Add a staff membership unless the plan's seats are all taken.

    The count and the insert are one statement, and on PostgreSQL the workspace row is locked first, so two
    concurrent invitations cannot both take the last seat.
    """
    plan = await session.get_one(Plan, workspace.plan_id)
    await session.execute(select(Workspace.id).where(Workspace.id == workspace.id).with_for_update())
    values = select(literal(workspace.id), literal(user.id), literal(role), literal(utcnow(), UTCDateTime()))
    if plan.staff_seats is not None:
        taken = (
            select(func.count())
            .select_from(WorkspaceMembership)
            .where(WorkspaceMembership.workspace_id == workspace.id)
            .scalar_subquery()
        )
        values = values.where(taken < plan.staff_seats)
    result = await session.execute(
        insert(WorkspaceMembership)
        .from_select(["workspace_id", "user_id", "role", "created_at"], values)
        .returning(WorkspaceMembership.id)
    )
    membership_id = result.scalar()
    if membership_id is None:
        raise SeatLimitReached(plan)
    return await session.get_one(WorkspaceMembership, membership_id)
