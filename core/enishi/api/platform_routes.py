"""Platform- and agency-level routes: agencies, workspaces list and creation, plans, installed plugins, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.api.deps import platform_admin_guard
from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.pagination import Page, keyset_by_id, page_of
from enishi.api.params import AppServices, CurrentUser, Db
from enishi.api.services import Services
from enishi.audit import add_details, filtered
from enishi.line.embedded import emulator_of, register_workspace
from enishi.manifest import TIERS
from enishi.models import Agency, AgencyMembership, AuditEntry, Plan, User, Workspace
from enishi.plugin_host import PluginInfo
from enishi.scenarios.quiet_hours import WORKSPACE_DEFAULT
from enishi.tenancy.access import visible_workspaces_query
from enishi.tenancy.permissions import ROLE_RANK
from enishi.tenancy.workspaces import ChannelCredentials, channel_taken, create_workspace, webhook_url

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
PluginName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Limit = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]


class AgencyIn(msgspec.Struct):
    name: Name


class AgencyOut(msgspec.Struct):
    id: int
    name: str


class WorkspaceIn(msgspec.Struct):
    name: Name
    channel_id: str
    channel_secret: str
    access_token: str
    plan_id: int | None = None
    timezone: str | None = None


class WorkspaceOut(msgspec.Struct):
    id: int
    agency_id: int
    name: str
    plan_id: int
    timezone: str
    line_channel_id: str
    webhook_url: str
    created_at: datetime
    # Set when LINE said the monthly message quota is used up: sending is held until it is cleared.
    quota_exhausted_at: datetime | None = None
    line_login_channel_id: str | None = None  # LINE Login (its secret is never shown)
    # When scenario pushes wait, unless a scenario sets its own: {"enabled", "start", "end"} (workspace time zone).
    quiet_hours: dict[str, Any] = msgspec.field(default_factory=lambda: dict(WORKSPACE_DEFAULT))


class PlanIn(msgspec.Struct):
    key: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
    name_ja: Name
    name_en: Name
    tier: str = "start"
    allowed_plugins: list[PluginName] | None = None
    staff_seats: Limit | None = None
    friends_limit: Limit | None = None
    monthly_messages: Limit | None = None


class PlanPatch(msgspec.Struct, omit_defaults=True):
    name_ja: Name | msgspec.UnsetType = msgspec.UNSET
    name_en: Name | msgspec.UnsetType = msgspec.UNSET
    tier: str | msgspec.UnsetType = msgspec.UNSET
    allowed_plugins: list[PluginName] | msgspec.UnsetType | None = msgspec.UNSET
    staff_seats: Limit | msgspec.UnsetType | None = msgspec.UNSET
    friends_limit: Limit | msgspec.UnsetType | None = msgspec.UNSET
    monthly_messages: Limit | msgspec.UnsetType | None = msgspec.UNSET


class PlanOut(msgspec.Struct):
    id: int
    key: str
    name_ja: str
    name_en: str
    tier: str
    allowed_plugins: list[str] | None
    staff_seats: int | None
    friends_limit: int | None
    monthly_messages: int | None


class PluginOut(msgspec.Struct):
    name: str
    version: str
    source: str
    status: str
    title: dict[str, str] | None
    description: dict[str, str] | None
    tier: str | None
    core_api: str | None
    settings_schema: dict[str, Any] | None
    permissions: list[str]
    error: str | None


class AuditOut(msgspec.Struct):
    id: int
    at: datetime
    user_id: int | None
    api_token_id: int | None
    workspace_id: int | None
    action: str
    method: str
    path: str
    status_code: int
    ip: str | None
    target: dict[str, Any]
    details: dict[str, Any]


def workspace_out(services: Services, w: Workspace) -> WorkspaceOut:
    return WorkspaceOut(
        w.id,
        w.agency_id,
        w.name,
        w.plan_id,
        w.timezone,
        w.line_channel_id,
        webhook_url(services.settings, w),
        w.created_at,
        w.quota_exhausted_at,
        w.line_login_channel_id,
        dict(w.quiet_hours or WORKSPACE_DEFAULT),
    )


def plan_out(p: Plan) -> PlanOut:
    return PlanOut(
        p.id, p.key, p.name_ja, p.name_en, p.tier, p.allowed_plugins, p.staff_seats, p.friends_limit, p.monthly_messages
    )


def plugin_out(services: Services, info: PluginInfo) -> PluginOut:
    m = info.manifest
    perms = [e.key for e in services.host.registry.all("permissions") if e.plugin == info.name]
    return PluginOut(
        name=info.name,
        version=info.version,
        source=info.source,
        status=info.status,
        title=m.title.as_dict() if m else None,
        description=m.description.as_dict() if m else None,
        tier=m.tier if m else None,
        core_api=m.core_api if m else None,
        settings_schema=dict(m.settings_schema) if m else None,
        permissions=perms,
        error=info.error,
    )


def audit_out(e: AuditEntry) -> AuditOut:
    return AuditOut(
        e.id,
        e.at,
        e.user_id,
        e.api_token_id,
        e.workspace_id,
        e.action,
        e.method,
        e.path,
        e.status_code,
        e.ip,
        e.target,
        e.details,
    )


async def audit_page(
    db: AsyncSession,
    workspace_id: int | None,
    action: str | None,
    user_id: int | None,
    since: datetime | None,
    until: datetime | None,
    after: str | None,
    limit: int,
) -> Page[AuditOut]:
    """One page of the audit log, newest first (platform-wide, or one workspace's)."""
    query = keyset_by_id(
        filtered(workspace_id, action, user_id, since, until), AuditEntry.id, after, limit, descending=True
    )
    rows, cursor = page_of(list(await db.scalars(query)), limit, key=lambda e: e.id)
    return Page([audit_out(e) for e in rows], cursor)


def check_plan_fields(tier: str | None, allowed: list[str] | None, services: Services) -> None:
    problems = []
    if tier is not None and tier not in TIERS:
        problems.append({"path": "$.tier", "message": f"must be one of {', '.join(TIERS)}"})
    for i, name in enumerate(allowed or []):
        if name not in services.host.plugins:
            problems.append({"path": f"$.allowed_plugins[{i}]", "message": f"no plugin named {name!r} is installed"})
    if problems:
        raise invalid(problems)


async def agency_role(db: AsyncSession, user: User, agency_id: int) -> str | None:
    if user.is_platform_admin:
        return "owner"
    return await db.scalar(
        select(AgencyMembership.role).where(
            AgencyMembership.agency_id == agency_id, AgencyMembership.user_id == user.id
        )
    )


class PlatformController(Controller):
    path = "/api"
    tags = ("platform",)

    @get("/agencies")
    async def list_agencies(self, user: CurrentUser, db: Db) -> list[AgencyOut]:
        query = select(Agency).order_by(Agency.id)
        if not user.is_platform_admin:
            query = query.where(
                Agency.id.in_(select(AgencyMembership.agency_id).where(AgencyMembership.user_id == user.id))
            )
        return [AgencyOut(a.id, a.name) for a in await db.scalars(query)]

    @post("/agencies", guards=[platform_admin_guard], status_code=201)
    async def create_agency(self, data: JSONBody[AgencyIn], db: Db) -> AgencyOut:
        agency = Agency(name=data.name)
        db.add(agency)
        await db.flush()
        return AgencyOut(agency.id, agency.name)

    @get("/workspaces")
    async def list_workspaces(self, user: CurrentUser, db: Db, services: AppServices) -> list[WorkspaceOut]:
        return [workspace_out(services, w) for w in await db.scalars(visible_workspaces_query(user))]

    @post("/agencies/{agency_id:int}/workspaces", status_code=201)
    async def create_workspace(
        self,
        request: Request[Any, Any, Any],
        agency_id: FromPath[int],
        data: JSONBody[WorkspaceIn],
        user: CurrentUser,
        db: Db,
        services: AppServices,
    ) -> WorkspaceOut:
        role = await agency_role(db, user, agency_id)
        agency = await db.get(Agency, agency_id) if role else None
        if agency is None or role is None:
            raise not_found("agency")
        if ROLE_RANK[role] < ROLE_RANK["admin"]:
            raise ApiError(403, "forbidden", "代理店の管理者のみ / agency admins only")
        credentials = ChannelCredentials(data.channel_id, data.channel_secret, data.access_token)
        problems = credentials.problems()
        plan = await db.get(Plan, data.plan_id) if data.plan_id is not None else None
        if data.plan_id is not None and plan is None:
            problems.append({"path": "$.plan_id", "message": "no such plan"})  # type: ignore[arg-type]
        if data.plan_id is not None and not user.is_platform_admin:
            problems.append({"path": "$.plan_id", "message": "only platform admins choose plans"})  # type: ignore[arg-type]
        if not problems and await channel_taken(db, data.channel_id):
            raise ApiError(
                409,
                "channel_taken",
                "このチャネルは既に別のワークスペースで使われています / channel already connected",
                [{"path": "$.channel_id", "message": "already connected"}],
            )
        if problems:
            raise invalid(problems)
        workspace = await create_workspace(
            db,
            host=services.host,
            settings=services.settings,
            secrets_box=services.secrets,
            agency=agency,
            name=data.name,
            credentials=credentials,
            plan=plan,
            timezone=data.timezone,
        )
        request.state["audit_workspace_id"] = workspace.id
        if (emulator := emulator_of(request.app.state)) is not None:
            register_workspace(services, emulator, workspace)
        add_details(request, name=data.name, channel_id=data.channel_id)
        return workspace_out(services, workspace)

    @get("/plans")
    async def list_plans(self, db: Db) -> list[PlanOut]:
        return [plan_out(p) for p in await db.scalars(select(Plan).order_by(Plan.id))]

    @post("/plans", guards=[platform_admin_guard], status_code=201)
    async def create_plan(self, data: JSONBody[PlanIn], db: Db, services: AppServices) -> PlanOut:
        check_plan_fields(data.tier, data.allowed_plugins, services)
        plan = Plan(**msgspec.structs.asdict(data))
        db.add(plan)
        try:
            await db.flush()
        except IntegrityError:
            raise ApiError(
                409, "plan_exists", f"plan {data.key!r} exists", [{"path": "$.key", "message": "already used"}]
            ) from None
        return plan_out(plan)

    @patch("/plans/{plan_id:int}", guards=[platform_admin_guard])
    async def update_plan(
        self, plan_id: FromPath[int], data: JSONBody[PlanPatch], db: Db, services: AppServices
    ) -> PlanOut:
        plan = await db.get(Plan, plan_id)
        if plan is None:
            raise not_found("plan")
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        check_plan_fields(changes.get("tier"), changes.get("allowed_plugins"), services)
        for key, value in changes.items():
            setattr(plan, key, value)
        await db.flush()
        # Workspaces on this plan lose what it no longer allows (their data is kept).
        from enishi.tenancy.plans import apply_plan

        for workspace_id in await db.scalars(select(Workspace.id).where(Workspace.plan_id == plan.id)):
            await apply_plan(db, services.host, workspace_id, plan)
        return plan_out(plan)

    @get("/plugins")
    async def list_plugins(self, services: AppServices) -> list[PluginOut]:
        return [plugin_out(services, info) for info in services.host.plugins.values()]

    @get("/audit", guards=[platform_admin_guard])
    async def platform_audit(
        self,
        db: Db,
        workspace_id: FromQuery[int | None] = None,
        action: FromQuery[str | None] = None,
        user_id: FromQuery[int | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        after: FromQuery[str | None] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> Page[AuditOut]:
        return await audit_page(db, workspace_id, action, user_id, since, until, after, limit)
