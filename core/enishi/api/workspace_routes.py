"""Routes under ``/api/workspaces/{workspace_id}``: every one passes the workspace guard first."""

from __future__ import annotations

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
from enishi.api.platform_routes import AuditOut, PlanOut, WorkspaceOut, audit_page, plan_out, workspace_out
from enishi.api.services import Services
from enishi.audit import add_details
from enishi.auth import invitations
from enishi.auth.passwords import hash_password, password_problem
from enishi.auth.service import normalise_email
from enishi.db.base import utcnow
from enishi.line.embedded import emulator_of, register_login_channel, register_workspace
from enishi.models import Friend, Plan, RoleGrant, User, WorkspaceMembership, WorkspacePlugin
from enishi.models.auth import StaffInvitation
from enishi.registry import Registered
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
from enishi.types import ROLES, ActionType, ConditionType

Role = Annotated[str, msgspec.Meta(pattern=r"^(owner|admin|operator|viewer)$")]


TimeOfDay = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class QuietHours(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool
    start: TimeOfDay
    end: TimeOfDay


class WorkspacePatch(msgspec.Struct, omit_defaults=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    timezone: str | msgspec.UnsetType = msgspec.UNSET
    channel_id: str | msgspec.UnsetType = msgspec.UNSET
    channel_secret: str | msgspec.UnsetType = msgspec.UNSET
    access_token: str | msgspec.UnsetType = msgspec.UNSET
    # LINE Login (optional): null removes it. The secret is stored encrypted and never shown again.
    login_channel_id: str | msgspec.UnsetType | None = msgspec.UNSET
    login_channel_secret: str | msgspec.UnsetType = msgspec.UNSET
    # Default quiet hours for scenario pushes: {"enabled": bool, "start": "HH:MM", "end": "HH:MM"}.
    quiet_hours: QuietHours | msgspec.UnsetType = msgspec.UNSET


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


class PlanChange(msgspec.Struct):
    plan_id: int


class PlanChangeOut(msgspec.Struct):
    plan: PlanOut
    disabled_plugins: list[str]


class StaffIn(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    role: Role
    # With both, an account is made for an email that has none yet (its owner signs in with this password and
    # accepts); an existing account is never touched. The answer is the same either way.
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    password: str | None = None


class InvitationOut(msgspec.Struct):
    id: int
    email: str
    role: str
    status: str  # pending until the person accepts or declines after signing in
    created_at: datetime
    expires_at: datetime


class StaffPatch(msgspec.Struct):
    role: Role


class StaffOut(msgspec.Struct):
    id: int  # the membership id
    user_id: int
    email: str
    display_name: str
    role: str
    created_at: datetime


class PluginStateIn(msgspec.Struct):
    enabled: bool
    settings: dict[str, Any] | None = None


class WorkspacePluginOut(msgspec.Struct):
    name: str
    title: dict[str, str]
    tier: str
    enabled: bool
    allowed_by_plan: bool
    reason: str | None  # why it is off, or cannot be turned on
    settings: dict[str, Any]
    settings_schema: dict[str, Any]


class NodeTypeOut(msgspec.Struct):
    key: str
    kind: str  # trigger / action / condition
    version: int
    plugin: str
    label: dict[str, str]
    description: dict[str, str] | None
    config_schema: dict[str, Any]
    ui_schema: dict[str, Any]
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    allowed_targets: list[str] | None
    deprecated: bool
    # Conditions only: whether a segment (friend list, broadcast, bulk operation) may use it; null otherwise.
    usable_in_segments: bool | None = None
    # Actions only: whether it runs for a whole batch of friends at once (its set-based form); an action without
    # one still works in scenarios, one friend at a time, and cannot be a bulk operation. Null otherwise.
    set_based: bool | None = None
    sends_messages: bool | None = None


class ReportTypeOut(msgspec.Struct):
    key: str
    version: int
    plugin: str
    label: dict[str, str]
    params_schema: dict[str, Any]
    ui_schema: dict[str, Any]


class FieldSourceOut(msgspec.Struct):
    key: str
    plugin: str
    label: dict[str, str]


class CatalogOut(msgspec.Struct):
    node_types: list[NodeTypeOut]
    reports: list[ReportTypeOut]
    friend_fields: list[FieldSourceOut]


class AccessOut(msgspec.Struct):
    workspace: WorkspaceOut
    role: str
    permissions: list[str]
    enabled_plugins: list[str]


class PermissionOut(msgspec.Struct):
    key: str
    plugin: str
    label: dict[str, str]
    roles: list[str]  # roles that grant it in this workspace


class RoleGrantIn(msgspec.Struct):
    role: Annotated[str, msgspec.Meta(pattern=r"^(admin|operator|viewer)$")]
    permission: str
    granted: bool


class FriendOut(msgspec.Struct):
    id: int
    line_user_id: str
    display_name: str
    picture_url: str | None
    language: str | None
    status: str
    followed_at: datetime
    blocked_at: datetime | None
    last_inbound_at: datetime | None


def friend_out(f: Friend) -> FriendOut:
    return FriendOut(
        f.id,
        f.line_user_id,
        f.display_name,
        f.picture_url,
        f.language,
        f.status,
        f.followed_at,
        f.blocked_at,
        f.last_inbound_at,
    )


def node_type_out(kind: str, e: Registered[Any]) -> NodeTypeOut:
    t = e.item
    return NodeTypeOut(
        key=e.key,
        kind=kind.rstrip("s"),
        version=e.version,
        plugin=e.plugin,
        label=t.label.as_dict(),
        description=t.description.as_dict() if t.description else None,
        config_schema=dict(t.config_schema),
        ui_schema=dict(t.ui_schema),
        inputs=[{"name": p.name, "label": p.label.as_dict()} for p in t.inputs],
        outputs=[{"name": p.name, "label": p.label.as_dict()} for p in t.outputs],
        allowed_targets=list(t.allowed_targets) if t.allowed_targets is not None else None,
        deprecated=t.deprecated,
        usable_in_segments=t.usable_in_segments if isinstance(t, ConditionType) else None,
        set_based=t.run_bulk is not None if isinstance(t, ActionType) else None,
        sends_messages=t.sends_messages if isinstance(t, ActionType) else None,
    )


async def staff_out(db: AsyncSession, membership_id: int) -> StaffOut:
    m, u = (
        await db.execute(
            select(WorkspaceMembership, User)
            .join(User, User.id == WorkspaceMembership.user_id)
            .where(WorkspaceMembership.id == membership_id)
        )
    ).one()
    return StaffOut(m.id, u.id, u.email, u.display_name, m.role, m.created_at)


def invitation_out(i: StaffInvitation) -> InvitationOut:
    return InvitationOut(i.id, i.email, i.role, i.status, i.created_at, i.expires_at)


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
        return [StaffOut(m.id, u.id, u.email, u.display_name, m.role, m.created_at) for m, u in rows]

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
        """The node types, reports and friend-field sources of the plugins enabled here (the builder's palette)."""
        registry = services.host.registry
        enabled = access.enabled_plugins
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
