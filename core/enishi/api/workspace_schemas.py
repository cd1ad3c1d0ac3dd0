"""Request and response bodies of the routes under ``/api/workspaces/{workspace_id}``
(:mod:`enishi.api.workspace_routes`). msgspec checks types and constraints before a handler runs (bad input → 400
with the field's path); handlers check what needs the database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from enishi.api.platform_routes import PlanOut, WorkspaceOut
from enishi.models import Friend
from enishi.models.auth import StaffInvitation
from enishi.registry import Registered, ui_module_digest
from enishi.types import ActionType, ConditionType, Lookup, Resource, UiModule

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
    last_login_at: datetime | None = None  # their latest sign-in (null: never signed in)


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


class LookupOut(msgspec.Struct):
    """A named list of the workspace's data that forms pick from (builder_ui/src/platform/contract.ts)."""

    name: str
    plugin: str
    path: str  # below /api/workspaces/{id}, maybe with a query
    paged: bool  # the answer is a page {items: [...]}
    value_field: str
    label_field: str
    hint_field: str | None
    color_field: str | None
    properties: dict[str, Literal["integer", "string"]]  # property names that mean this lookup, with their type
    widgets: list[str]  # RJSF ui:widget names that mean this lookup
    # A row can be sent to one friend: POST send_path {"friend_id", <send_field>: value, "idempotency_key"}.
    send_path: str | None = None
    send_field: str | None = None
    # Each row carries LINE messages in this field (saved messages a composer can insert).
    messages_field: str | None = None


class ColumnOut(msgspec.Struct):
    field: str
    title: dict[str, str]
    format: Literal["text", "color", "number", "datetime", "boolean", "lookup"]
    lookup: str | None


class ResourceOut(msgspec.Struct):
    """A list and an edit form over a plugin's REST routes (builder_ui/src/platform/contract.ts)."""

    name: str
    plugin: str
    title: dict[str, str]
    description: dict[str, str] | None
    group: Literal["data", "workspace"]
    order: int
    path: str  # below /api/workspaces/{id}: GET lists, POST creates
    item_path: str  # with {id}: PATCH/PUT changes, DELETE removes
    paged: bool
    id_field: str
    label_field: str
    columns: list[ColumnOut]
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    create: bool
    update: Literal["patch", "put"] | None
    delete: bool
    permission: str | None


class UiModuleOut(msgspec.Struct):
    plugin: str
    url: str  # /ui/plugins/<plugin>/<digest>.js, same origin, cached for good
    title: dict[str, str]  # the plugin's title, so a notice about its module names it as people know it


class LoginCallbackOut(msgspec.Struct):
    plugin: str
    title: dict[str, str]  # the plugin's title
    url: str  # to register as a callback URL of the workspace's LINE Login channel


class CatalogOut(msgspec.Struct):
    node_types: list[NodeTypeOut]
    reports: list[ReportTypeOut]
    friend_fields: list[FieldSourceOut]
    lookups: list[LookupOut]
    resources: list[ResourceOut]
    ui_modules: list[UiModuleOut]
    line_login_callbacks: list[LoginCallbackOut]


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


def lookup_out(e: Registered[Lookup]) -> LookupOut:
    t = e.item
    return LookupOut(
        name=e.key,
        plugin=e.plugin,
        path=t.path,
        paged=t.paged,
        value_field=t.value_field,
        label_field=t.label_field,
        hint_field=t.hint_field,
        color_field=t.color_field,
        properties=dict(t.properties),
        widgets=list(t.widgets),
        send_path=t.send_path,
        send_field=t.send_field,
        messages_field=t.messages_field,
    )


def resource_out(e: Registered[Resource]) -> ResourceOut:
    t = e.item
    return ResourceOut(
        name=e.key,
        plugin=e.plugin,
        title=t.title.as_dict(),
        description=t.description.as_dict() if t.description else None,
        group=t.group,
        order=t.order,
        path=t.path,
        item_path=t.item_path,
        paged=t.paged,
        id_field=t.id_field,
        label_field=t.label_field,
        columns=[ColumnOut(c.field, c.title.as_dict(), c.format, c.lookup) for c in t.columns],
        schema=dict(t.schema),
        ui_schema=dict(t.ui_schema),
        create=t.create,
        update=t.update,
        delete=t.delete,
        permission=t.permission,
    )


def ui_module_out(e: Registered[UiModule], title: dict[str, str]) -> UiModuleOut | None:
    """The module's URL, or None while its file does not exist (its UI is not built)."""
    digest = ui_module_digest(e.item.path)
    if digest is None:
        return None
    return UiModuleOut(plugin=e.plugin, url=f"/ui/plugins/{e.plugin}/{digest}.js", title=title)


def invitation_out(i: StaffInvitation) -> InvitationOut:
    return InvitationOut(i.id, i.email, i.role, i.status, i.created_at, i.expires_at)
