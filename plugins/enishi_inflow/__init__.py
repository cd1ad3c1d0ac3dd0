"""Inflow routes (流入経路分析): links and QR codes that bring people to the account, and what they bring.

Each route has an unguessable public URL (``/p/inflow/r/<code>``) and a QR code. Opening it records a visit and
shows a landing page that leads the person to add the account as a friend; the page shows a short code
("#A1B2C3") and a button that opens LINE with it prefilled. When a friend sends that code as a message, the visit
is theirs: their first route is stored (once), and the route's actions run (only once per friend for a
"first time only" route). With a LINE Login channel in the workspace's settings, the URL goes through LINE Login
instead: a friend's visit is theirs at once; a person who is not a friend yet is offered to add the account, and
the visit becomes theirs (their first route) when the follow arrives. Registered: condition ``inflow.came_from``,
trigger ``inflow.route_entered`` and the report ``inflow.routes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from enishi import (
    ApiRoutes,
    ConditionType,
    DomainEvent,
    EventType,
    FriendFieldSource,
    MigrationLocation,
    Permission,
    PluginManifest,
    Register,
    ReportType,
    Text,
    TriggerType,
    WorkspaceContext,
    hookimpl,
)
from enishi.events import FRIEND_FOLLOWED, MESSAGE_RECEIVED
from enishi.types import Lookup, Resource, UiModule
from enishi_inflow import service
from enishi_inflow.events import EVENTS
from enishi_inflow.fields import inflow_field
from enishi_inflow.nodes import came_from, route_entered
from enishi_inflow.report import routes_report
from enishi_inflow.routes import RouteController, login_callback, open_route
from enishi_inflow.screens import SCREENS

manifest = PluginManifest(
    line_login_callback=service.LOGIN_CALLBACK,
    title=Text(ja="流入経路分析", en="Inflow routes"),
    description=Text(
        ja="URL・QRコードごとに友だちの流入経路を記録し、経路ごとのアクション(タグ付けなど)と分析を行います。",
        en="Links and QR codes that record where friends come from, with per-route actions and an analysis.",
    ),
    tier="pro",
    core_api=">=1,<2",
    settings_schema={
        "type": "object",
        "properties": {
            "basic_id": {
                "type": "string",
                "pattern": "^@[0-9a-z._-]{1,40}$",
                "title": "ベーシックID / Basic id (@xxxx)",
            }
        },
        "additionalProperties": False,
    },
)


@hookimpl
def enishi_register_triggers(register: Register[TriggerType]) -> None:
    register(route_entered)


@hookimpl
def enishi_register_events(register: Register[EventType]) -> None:
    for event in EVENTS:
        register(event)


@hookimpl
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    register(came_from)


@hookimpl
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    register(inflow_field)


@hookimpl
def enishi_register_reports(register: Register[ReportType]) -> None:
    register(routes_report)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    register(
        Permission(
            name="manage",
            label=Text("流入経路の作成・編集・削除", "Create, edit and delete inflow routes"),
            roles=frozenset({"owner", "admin"}),
        )
    )


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[RouteController]))
    register(ApiRoutes(handlers=[open_route, login_callback], public=True, name="public"))


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    for screen in SCREENS:
        register(screen)


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))


@hookimpl
async def enishi_domain_events(ctx: WorkspaceContext, events: Sequence[DomainEvent]) -> None:
    """A friend sent a visit's code ("#A1B2C3"), or followed after LINE Login named them for a visit: the visit,
    and the route, are theirs. Other events are skipped at once."""
    for event in events:
        if event.friend_id is None or event.name not in (FRIEND_FOLLOWED, MESSAGE_RECEIVED):
            continue
        if event.name == FRIEND_FOLLOWED:
            await service.attribute_pending(ctx, event.friend_id)
            continue
        ref = service.ref_in(event.data.get("text"))
        if ref is not None:
            await service.attribute(ctx, event.friend_id, ref)
