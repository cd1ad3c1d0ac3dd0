"""Routes under ``/api/workspaces/{workspace_id}``: every one passes the workspace guard first. Their request and
response bodies are in :mod:`enishi.api.workspace_schemas`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.api.deps import platform_admin_guard
from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.pagination import Page, keyset_by_id, page_of
from enishi.api.params import Access, AppServices, Db
from enishi.api.platform_routes import AuditOut, WorkspaceOut, audit_page, plan_out, workspace_out
from enishi.api.services import Services
from enishi.api.workspace_schemas import (
    AccessOut,
    CatalogOut,
    FieldSourceOut,
    FriendOut,
    InvitationOut,
    LoginCallbackOut,
    NodeTypeOut,  # noqa: F401 - importable from here as before
    PermissionOut,
    PlanChange,
    PlanChangeOut,
    PluginStateIn,
    QuietHours,  # noqa: F401 - importable from here as before
    ReportTypeOut,
    Role,  # noqa: F401 - importable from here as before
    RoleGrantIn,
    StaffIn,
    StaffOut,
    StaffPatch,
    TimeOfDay,  # noqa: F401 - importable from here as before
    WorkspacePatch,
    WorkspacePluginOut,
    friend_out,
    invitation_out,
    lookup_out,
    node_type_out,
    resource_out,
    ui_module_out,
)
from enishi.audit import add_details
from enishi.auth import invitations
from enishi.auth.passwords import hash_password, password_problem
from enishi.auth.service import normalise_email
from enishi.db.base import utcnow
from enishi.line import login as line_login
from enishi.line.embedded import emulator_of, register_login_channel, register_workspace
from enishi.line.outbox.writing import forget_line_quota
from enishi.models import Friend, Plan, RoleGrant, User, WorkspaceMembership, WorkspacePlugin
from enishi.models.auth import StaffInvitation
from enishi.plugin_host import PluginHost
from enishi.schema_validation import validate
from enishi.tenancy.access import WorkspaceAccess
from enishi.tenancy.permissions import ROLE_RANK, declared, permissions_of
from enishi.tenancy.plans import PlanDoesNotAllow, apply_plan, plan_allows, set_plugin_enabled
from enishi.tenancy.workspaces import (
    CHANNEL_ID_RE,
    CHANNEL_SECRET_RE,
    ChannelCredentials,
    SeatLimitReached,
    channel_taken,
    notify_enabled,
)
from enishi.types import ROLES

SECRET_FIELDS = ("channel_secret", "access_token", "login_channel_secret")
LOGIN_FIELDS = ("login_channel_id", "login_channel_secret")


def login_channel_problems(
    workspace: Any, changes: dict[str, Any], services: Services
) -> tuple[list[dict[str, str]], tuple[str, bytes] | None]:
    """Problems of a LINE Login change (paths ``$.login_channel_id``, ``$.login_channel_secret``) and the new
    (channel id, encrypted secret), or None to remove the login channel."""
    channel_id = changes.get("login_channel_id", workspace.line_login_channel_id)
    if "login_channel_id" in changes and channel_id is None:
        if "login_channel_secret" in changes:
            return [
                {"path": "$.login_channel_secret", "message": "チャネルIDなしでは設定できません / needs a channel id"}
            ], None
        return [], None
    problems: list[dict[str, str]] = []
    if channel_id is None or not CHANNEL_ID_RE.match(channel_id):
        problems.append(
            {"path": "$.login_channel_id", "message": "LINE のチャネルIDは10桁の数字です / must be 10 digits"}
        )
    elif channel_id == changes.get("channel_id", workspace.line_channel_id):
        problems.append(
            {
                "path": "$.login_channel_id",
                "message": "Messaging API とは別のLINEログインチャネルです / not the bot's channel",
            }
        )
    secret = changes.get("login_channel_secret")
    if secret is None and workspace.line_login_channel_secret is None:
        problems.append({"path": "$.login_channel_secret", "message": "必須です / required"})
    elif secret is not None and not CHANNEL_SECRET_RE.match(secret):
        problems.append(
            {
                "path": "$.login_channel_secret",
                "message": "チャネルシークレットは32桁の16進数です / must be 32 hex characters",
            }
        )
    if problems:
        return problems, None
    stored = services.secrets.encrypt(secret) if secret is not None else workspace.line_login_channel_secret
    return [], (channel_id, stored)


async def staff_out(db: AsyncSession, membership_id: int) -> StaffOut:
    m, u = (
        await db.execute(
            select(WorkspaceMembership, User)
            .join(User, User.id == WorkspaceMembership.user_id)
            .where(WorkspaceMembership.id == membership_id)
        )
    ).one()
    return StaffOut(m.id, u.id, u.email, u.display_name, m.role, m.created_at, u.last_login_at)


async def check_seats(db: AsyncSession, access: WorkspaceAccess) -> None:
    """Refuse to invite into a full plan (accepting checks again, atomically)."""
    plan = await db.get_one(Plan, access.workspace.plan_id)
    taken = await db.scalar(select(func.count()).select_from(WorkspaceMembership))
    if plan.staff_seats is not None and (taken or 0) >= plan.staff_seats:
        raise ApiError(403, "seat_limit", str(SeatLimitReached(plan)))


async def owners_left(db: AsyncSession, excluding: int) -> int:
    return int(
        await db.scalar(
            select(func.count()).where(WorkspaceMembership.role == "owner", WorkspaceMembership.id != excluding)
        )
        or 0
    )


async def permission_table(db: AsyncSession, services: Services, access: WorkspaceAccess) -> list[PermissionOut]:
    """Every permission of the enabled plugins, with the roles that grant it in this workspace."""
    perms = declared(services.host.registry, access.enabled_plugins)
    by_role = {
        role: await permissions_of(db, services.host.registry, access.workspace_id, role, access.enabled_plugins)
        for role in ROLES
    }
    return [
        PermissionOut(key, key.split(".")[0], p.label.as_dict(), [r for r in ROLES if key in by_role[r]])
        for key, p in sorted(perms.items())
    ]


def plugin_title(host: PluginHost, name: str) -> dict[str, str]:
    """A plugin's title as people know it (the core, which has no manifest, by its own name)."""
    manifest = host.manifest(name)
    return manifest.title.as_dict() if manifest is not None else {"ja": "縁 Enishi", "en": "Enishi"}


def login_callbacks(services: Services, enabled: Iterable[str]) -> list[LoginCallbackOut]:
    """The LINE Login callback URLs of the enabled plugins that sign LINE users in (their manifests say where)."""
    public = services.settings.public_url
    out = []
    for name in sorted(enabled):
        manifest = services.host.manifest(name)
        if manifest is not None and manifest.line_login_callback is not None:
            url = line_login.callback_url(public, name, manifest.line_login_callback)
            out.append(LoginCallbackOut(plugin=name, title=manifest.title.as_dict(), url=url))
    return out


def check_role_change(access: WorkspaceAccess, current: str | None, new: str | None) -> None:
    """Only owners hand out or take away the owner role; nobody raises anyone above their own role."""
    mine = ROLE_RANK[access.role]
    for role in (current, new):
        if role is not None and ROLE_RANK[role] > mine:
            raise ApiError(403, "forbidden", "自分より上の役割は変更できません / cannot manage a role above your own")
    if "owner" in (current, new) and access.role != "owner":
        raise ApiError(403, "forbidden", "オーナーのみがオーナーを変更できます / only owners manage owners")


class WorkspaceController(Controller):
    path = "/"
    tags = ("workspace",)

    @get("/")
    async def show_workspace(self, access: Access, services: AppServices) -> AccessOut:
        return AccessOut(
            workspace_out(services, access.workspace),
            access.role,
            sorted(access.permissions),
            sorted(access.enabled_plugins),
        )

    @patch("/", permission="core.manage_workspace")
    async def update_workspace(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[WorkspacePatch],
        access: Access,
        db: Db,
        services: AppServices,
    ) -> WorkspaceOut:
        workspace = await db.merge(access.workspace)
        old_channel_id = workspace.line_channel_id
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        problems: list[Any] = []
        if "timezone" in changes:
            try:
                ZoneInfo(changes["timezone"])
            except (ZoneInfoNotFoundError, ValueError):
                problems.append({"path": "$.timezone", "message": "unknown time zone"})
        if {"channel_id", "channel_secret", "access_token"} & changes.keys():
            creds = ChannelCredentials(
                changes.get("channel_id", workspace.line_channel_id),
                changes.get("channel_secret", services.secrets.decrypt(workspace.line_channel_secret)),
                changes.get("access_token", services.secrets.decrypt(workspace.line_access_token)),
            )
            problems += [p.as_dict() for p in creds.problems()]
            if not problems and await channel_taken(db, creds.channel_id, except_workspace=workspace.id):
                raise ApiError(409, "channel_taken", "このチャネルは既に使われています / channel already connected")
            workspace.line_channel_id = creds.channel_id
            workspace.line_channel_secret = services.secrets.encrypt(creds.channel_secret)
            workspace.line_access_token = services.secrets.encrypt(creds.access_token)
        login_changed = bool(set(LOGIN_FIELDS) & changes.keys())
        if login_changed:
            login_problems, login = login_channel_problems(workspace, changes, services)
            problems += login_problems
            if not problems:
                workspace.line_login_channel_id, workspace.line_login_channel_secret = login or (None, None)
        if problems:
            raise invalid(problems)
        if "name" in changes:
            workspace.name = changes["name"]
        if "timezone" in changes:
            workspace.timezone = changes["timezone"]
        if "quiet_hours" in changes:
            workspace.quiet_hours = msgspec.structs.asdict(data.quiet_hours)  # type: ignore[arg-type]
        add_details(
            request,
            fields=sorted(k for k in changes if k not in SECRET_FIELDS)
            + [f"{k} (secret)" for k in changes if k in SECRET_FIELDS],
        )
        await db.flush()
        credentials_changed = bool({"channel_id", "channel_secret", "access_token"} & changes.keys())
        if credentials_changed:  # another channel, another quota
            await forget_line_quota(db, workspace.id)
        if (emulator := emulator_of(request.app.state)) is not None:
            if credentials_changed:
                register_workspace(services, emulator, workspace, old_channel_id)
            elif login_changed:  # the bot's channel and its simulated users stay as they are
                register_login_channel(services, emulator, workspace)
        return workspace_out(services, workspace)

    @put("/plan", guards=[platform_admin_guard])
    async def change_plan(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PlanChange],
        access: Access,
        db: Db,
        services: AppServices,
    ) -> PlanChangeOut:
        plan = await db.get(Plan, data.plan_id)
        if plan is None:
            raise invalid([{"path": "$.plan_id", "message": "no such plan"}])
        workspace = await db.merge(access.workspace)
        workspace.plan_id = plan.id
        turned_off = await apply_plan(db, services.host, workspace.id, plan)
        await forget_line_quota(db, workspace.id)  # a plan change often comes with LINE's: look again at once
        add_details(request, plan=plan.key, disabled_plugins=turned_off)
        return PlanChangeOut(plan_out(plan), turned_off)

    @delete("/line/quota-hold", permission="core.manage_workspace", status_code=200)
    async def release_quota_hold(self, request: Request[Any, Any, Any], db: Db) -> dict[str, int]:
        """After more messages were bought (or the plan changed), send what the quota stop held back."""
        from enishi.line.outbox import release_quota_hold

        access = request.state["access"]
        released = await release_quota_hold(db, access.workspace_id)
        add_details(request, released=released)
        return {"released": released}

    # -- staff ----------------------------------------------------------------------------------------------

    @get("/staff")
    async def list_staff(self, db: Db) -> list[StaffOut]:
        rows = await db.execute(
            select(WorkspaceMembership, User)
            .join(User, User.id == WorkspaceMembership.user_id)
            .order_by(WorkspaceMembership.id)
        )
        return [StaffOut(m.id, u.id, u.email, u.display_name, m.role, m.created_at, u.last_login_at) for m, u in rows]

    @post("/staff", permission="core.manage_staff", status_code=201)
    async def invite_staff(
        self, request: Request[Any, Any, Any], data: JSONBody[StaffIn], access: Access, db: Db
    ) -> InvitationOut:
        """Invite someone by email: they become staff when they accept after signing in. Whether an account exists
        for the email changes nothing in the answer, so this cannot be used to find out who has one."""
        check_role_change(access, None, data.role)
        email = normalise_email(data.email)
        new_password = None
        if data.password is not None or data.display_name is not None:
            problem = password_problem(data.password or "")
            if problem or not data.display_name:
                raise invalid(
                    [
                        {"path": "$.password", "message": problem}
                        if problem
                        else {"path": "$.display_name", "message": "required with a password"}
                    ]
                )
            new_password = hash_password(data.password or "")  # hashed either way, so both take as long
        if await db.scalar(
            select(WorkspaceMembership.id).join(User, User.id == WorkspaceMembership.user_id).where(User.email == email)
        ):
            raise ApiError(
                409,
                "already_member",
                "既にスタッフです / already a staff member",
                [{"path": "$.email", "message": "already a member"}],
            )
        if await db.scalar(
            select(StaffInvitation.id).where(
                StaffInvitation.email == email,
                StaffInvitation.status == "pending",
                StaffInvitation.expires_at > utcnow(),
            )
        ):
            raise ApiError(
                409,
                "already_invited",
                "既に招待しています / already invited",
                [{"path": "$.email", "message": "already invited"}],
            )
        await check_seats(db, access)
        # An expired invitation is closed now, so the new one is the only open one.
        await db.execute(
            update(StaffInvitation)
            .where(StaffInvitation.email == email, StaffInvitation.status == "pending")
            .values(status="revoked", responded_at=utcnow())
        )
        if new_password is not None and not await db.scalar(select(User.id).where(User.email == email)):
            db.add(User(email=email, display_name=data.display_name, password_hash=new_password))
        invitation = invitations.new_invitation(access.workspace_id, email, data.role, request.auth.user.id)
        db.add(invitation)
        try:
            await db.flush()
        except IntegrityError:  # the same person invited at the same moment by someone else
            raise ApiError(409, "already_invited", "既に招待しています / already invited") from None
        add_details(request, invitation_id=invitation.id, email=email, role=data.role)
        return invitation_out(invitation)

    @get("/staff/invitations")
    async def list_invitations(self, db: Db) -> list[InvitationOut]:
        """Invitations not yet answered."""
        rows = await db.scalars(
            select(StaffInvitation)
            .where(StaffInvitation.status == "pending", StaffInvitation.expires_at > utcnow())
            .order_by(StaffInvitation.id)
        )
        return [invitation_out(i) for i in rows]

    @delete("/staff/invitations/{invitation_id:int}", permission="core.manage_staff", status_code=204)
    async def revoke_invitation(
        self, request: Request[Any, Any, Any], invitation_id: FromPath[int], access: Access, db: Db
    ) -> None:
        invitation = await db.get(StaffInvitation, invitation_id)
        if invitation is None or invitation.status != "pending":
            raise not_found("invitation")
        check_role_change(access, invitation.role, None)
        invitation.status, invitation.responded_at = "revoked", utcnow()
        add_details(request, invitation_id=invitation.id, email=invitation.email, role=invitation.role)

    @patch("/staff/{membership_id:int}", permission="core.manage_staff")
    async def change_staff_role(
        self,
        request: Request[Any, Any, Any],
        membership_id: FromPath[int],
        data: JSONBody[StaffPatch],
        access: Access,
        db: Db,
    ) -> StaffOut:
        membership = await db.get(WorkspaceMembership, membership_id)
        if membership is None:
            raise not_found("staff member")
        check_role_change(access, membership.role, data.role)
        if membership.role == "owner" and data.role != "owner" and await owners_left(db, membership.id) == 0:
            raise ApiError(409, "last_owner", "最後のオーナーは変更できません / the last owner must stay owner")
        add_details(request, old_role=membership.role, role=data.role)
        membership.role = data.role
        await db.flush()
        return await staff_out(db, membership.id)

    @delete("/staff/{membership_id:int}", permission="core.manage_staff", status_code=204)
    async def remove_staff(
        self, request: Request[Any, Any, Any], membership_id: FromPath[int], access: Access, db: Db
    ) -> None:
        membership = await db.get(WorkspaceMembership, membership_id)
        if membership is None:
            raise not_found("staff member")
        check_role_change(access, membership.role, None)
        if membership.role == "owner" and await owners_left(db, membership.id) == 0:
            raise ApiError(409, "last_owner", "最後のオーナーは削除できません / cannot remove the last owner")
        add_details(request, user_id=membership.user_id, role=membership.role)
        await db.delete(membership)

    # -- plugins --------------------------------------------------------------------------------------------

    @get("/plugins")
    async def list_plugins(self, access: Access, db: Db, services: AppServices) -> list[WorkspacePluginOut]:
        rows = {r.plugin: r for r in await db.scalars(select(WorkspacePlugin))}
        out = []
        for info in services.host.loaded:
            assert info.manifest is not None
            row = rows.get(info.name)
            allowed = plan_allows(access.plan, services.host, info.name)
            reason = None
            if not allowed:
                reason = f"プラン「{access.plan.name_ja}」に含まれていません / not in the plan '{access.plan.name_en}'"
            elif row is None or not row.enabled:
                reason = "plan" if row is not None and row.disabled_reason == "plan" else "off"
            out.append(
                WorkspacePluginOut(
                    name=info.name,
                    title=info.manifest.title.as_dict(),
                    tier=info.manifest.tier,
                    enabled=info.name in access.enabled_plugins,
                    allowed_by_plan=allowed,
                    reason=reason,
                    settings=(row.settings if row else {}) or {},
                    settings_schema=dict(info.manifest.settings_schema),
                )
            )
        return out

    @put("/plugins/{name:str}", permission="core.manage_plugins")
    async def set_plugin(
        self,
        request: Request[Any, Any, Any],
        name: FromPath[str],
        data: JSONBody[PluginStateIn],
        access: Access,
        db: Db,
        services: AppServices,
    ) -> WorkspacePluginOut:
        manifest = services.host.manifest(name)
        if manifest is None:
            raise not_found("plugin")
        if data.settings is not None:
            problems = validate(dict(manifest.settings_schema), data.settings, "$.settings")
            if problems:
                raise invalid(problems)
        try:
            row, turned_on = await set_plugin_enabled(
                db, services.host, access.workspace_id, access.plan, name, data.enabled
            )
        except PlanDoesNotAllow as exc:
            raise ApiError(403, "plan_does_not_allow", str(exc)) from None
        if data.settings is not None:
            row.settings = data.settings
        await db.flush()
        if turned_on:
            await notify_enabled(
                db, services.host, services.settings, access.workspace, access.plan, [name], request.auth.user.id
            )
        add_details(request, enabled=data.enabled, settings_changed=data.settings is not None)
        return WorkspacePluginOut(
            name=name,
            title=manifest.title.as_dict(),
            tier=manifest.tier,
            enabled=data.enabled,
            allowed_by_plan=True,
            reason=None if data.enabled else "off",
            settings=row.settings or {},
            settings_schema=dict(manifest.settings_schema),
        )

    # -- what this workspace can use ------------------------------------------------------------------------

    @get("/catalog")
    async def show_catalog(self, access: Access, services: AppServices) -> CatalogOut:
        """What the plugins enabled here bring: node types, reports and friend-field sources (the builder's palette),
        and what the console draws for them (lookups, resources, UI modules)."""
        registry = services.host.registry
        enabled = access.enabled_plugins
        modules = [ui_module_out(e, plugin_title(services.host, e.plugin)) for e in registry.all("ui_modules", enabled)]
        return CatalogOut(
            node_types=[node_type_out(kind, e) for kind, e in registry.node_types(enabled)],
            reports=[
                ReportTypeOut(
                    e.key,
                    e.version,
                    e.plugin,
                    e.item.label.as_dict(),
                    dict(e.item.params_schema),
                    dict(e.item.ui_schema),
                )
                for e in registry.all("reports", enabled)
            ],
            friend_fields=[
                FieldSourceOut(e.key, e.plugin, e.item.label.as_dict()) for e in registry.all("friend_fields", enabled)
            ],
            lookups=[lookup_out(e) for e in registry.all("lookups", enabled)],
            resources=[resource_out(e) for e in registry.all("resources", enabled)],
            ui_modules=[m for m in modules if m is not None],
            line_login_callbacks=login_callbacks(services, enabled),
        )

    @get("/permissions")
    async def list_permissions(self, access: Access, db: Db, services: AppServices) -> list[PermissionOut]:
        return await permission_table(db, services, access)

    @put("/permissions", permission="core.manage_roles")
    async def change_role_grant(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RoleGrantIn],
        access: Access,
        db: Db,
        services: AppServices,
    ) -> list[PermissionOut]:
        if data.permission not in declared(services.host.registry, access.enabled_plugins):
            raise invalid([{"path": "$.permission", "message": f"unknown permission {data.permission!r}"}])
        row = await db.scalar(
            select(RoleGrant).where(RoleGrant.role == data.role, RoleGrant.permission == data.permission)
        )
        if row is None:
            db.add(RoleGrant(role=data.role, permission=data.permission, granted=data.granted))
        else:
            row.granted = data.granted
        await db.flush()
        add_details(request, role=data.role, permission=data.permission, granted=data.granted)
        return await permission_table(db, services, access)

    # -- audit and friends ----------------------------------------------------------------------------------

    @get("/audit", permission="core.read_audit")
    async def list_audit(
        self,
        access: Access,
        db: Db,
        action: FromQuery[str | None] = None,
        user_id: FromQuery[int | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        after: FromQuery[str | None] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> Page[AuditOut]:
        return await audit_page(db, access.workspace_id, action, user_id, since, until, after, limit)

    @get("/friends")
    async def list_friends(
        self,
        db: Db,
        status: Annotated[str | None, Parameter(pattern=r"^(following|blocked)$")] = None,
        after: FromQuery[str | None] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> Page[FriendOut]:
        query = select(Friend)
        if status:
            query = query.where(Friend.status == status)
        rows, cursor = page_of(
            list(await db.scalars(keyset_by_id(query, Friend.id, after, limit))), limit, key=lambda f: f.id
        )
        return Page([friend_out(f) for f in rows], cursor)
