"""Member cards (会員証): a card per friend with a member number, points, stamps and a rank.

A workspace has one card design (name, colours, logo, member-number scheme: prefix + zero-padded sequence,
rank thresholds, whether points may go below zero). Cards are issued when a friend follows (if the design says
so), on demand through the API, or by the ``member_cards.add_points`` action. Friends open their card through a
signed, expiring link (``/p/member_cards/card/<token>``): a mobile page with a Code128 barcode and a QR code of
the member number, points, rank and stamps; or, with a LINE Login channel in the workspace's settings, through
``/p/member_cards/login/<workspace id>`` (LINE Login shows the logged-in friend's own card). Staff add or
subtract points and stamps by member number.

Registered (namespaced ``member_cards.<name>``): triggers ``points_reached`` and ``rank_changed``, actions
``add_points`` and ``send_card_link``, conditions ``points`` and ``rank_is``, friend field source ``card``
(member number, points, stamps, rank — also message variables such as ``{{member_cards.points}}``), report
``ranks`` (cards, points and stamps per rank). Its console module (``ui/``, built into ``ui/dist/module.js`` by
the console's build) adds the card design to the settings pages and the friend's card to a friend's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from enishi import (
    ActionType,
    ApiRoutes,
    ConditionType,
    DomainEvent,
    EventType,
    FriendFieldSource,
    Lookup,
    MigrationLocation,
    Permission,
    PluginManifest,
    Register,
    ReportType,
    Resource,
    Text,
    TriggerType,
    UiModule,
    WorkspaceContext,
    hookimpl,
)
from enishi.events import FRIEND_FOLLOWED
from enishi_member_cards import service
from enishi_member_cards.events import EVENTS
from enishi_member_cards.fields import card_field
from enishi_member_cards.nodes import add_points, points, points_reached, rank_changed, rank_is, send_card_link
from enishi_member_cards.page import LOGIN_CALLBACK, card_login, card_login_callback, card_page
from enishi_member_cards.permissions import PERMISSIONS
from enishi_member_cards.report import ranks_report
from enishi_member_cards.routes import CardController, DesignController, PointsController

manifest = PluginManifest(
    line_login_callback=LOGIN_CALLBACK,
    title=Text(ja="会員証", en="Member cards"),
    description=Text(
        ja="LINEで開く会員証(バーコード・QRコード付き)。ポイント・スタンプ・会員ランク、"
        "ポイントやランクの変化によるシナリオ開始と絞り込み。",
        en="Member cards friends open from LINE, with a barcode and QR code; points, stamps and ranks, "
        "scenarios started by points and rank changes, and segments on them.",
    ),
    tier="pro",
    core_api=">=1,<2",
)


@hookimpl
def enishi_register_triggers(register: Register[TriggerType]) -> None:
    register(points_reached)
    register(rank_changed)


@hookimpl
def enishi_register_events(register: Register[EventType]) -> None:
    for event in EVENTS:
        register(event)


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    register(add_points)
    register(send_card_link)


@hookimpl
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    register(points)
    register(rank_is)


@hookimpl
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    register(card_field)


@hookimpl
def enishi_register_reports(register: Register[ReportType]) -> None:
    register(ranks_report)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[DesignController, CardController, PointsController]))
    register(ApiRoutes(handlers=[card_page, card_login, card_login_callback], public=True, name="card_page"))


# Built by builder_ui/scripts/build-plugin-modules.js (part of the console's build) from ui/src/index.tsx.
UI_MODULE = Path(__file__).parent / "ui" / "dist" / "module.js"


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    register(UiModule(path=UI_MODULE))


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    # The Alembic branch "member_cards" (revision member_cards_0001 depends on the core's core_0001).
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))


@hookimpl
async def enishi_workspace_plugin_enabled(ctx: WorkspaceContext) -> None:
    await service.design_of(ctx)


@hookimpl
async def enishi_domain_events(ctx: WorkspaceContext, events: Sequence[DomainEvent]) -> None:
    """A friend who follows gets a card, if the design says so (once: a repeat follow keeps the card)."""
    followed = [e.friend_id for e in events if e.name == FRIEND_FOLLOWED and e.friend_id is not None]
    if not followed:
        return
    design = await service.design_of(ctx)
    if design.issue_on_follow:
        for friend_id in followed:
            await service.issue(ctx, friend_id, source="follow")
