"""Messages (メッセージ): the scenario action that sends LINE messages, message templates (定型文), and buttons
that run actions when tapped.

This module only declares the plugin and wires it up; the logic lives in the sibling modules. Registered: the
action ``messages.send_messages``; the permissions ``messages.manage_templates``, ``messages.send`` and
``messages.preview``; routes under ``/api/workspaces/{workspace_id}/messages``. It answers the core's
``core.postback_received`` event for buttons it sent (see :mod:`enishi_messages.taps`).

Other plugins that send personalised messages can reuse :func:`enishi_messages.sending.send` (variables, button
actions and LINE's limits handled) or :func:`enishi_messages.variables.expand_for_friend` (variables only).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from enishi import (
    ActionType,
    ApiRoutes,
    DomainEvent,
    MigrationLocation,
    Permission,
    PluginManifest,
    Register,
    Text,
    WorkspaceContext,
    hookimpl,
)
from enishi.types import Lookup, Resource, UiModule
from enishi_messages import taps
from enishi_messages.nodes import send_messages
from enishi_messages.permissions import PERMISSIONS
from enishi_messages.routes import MessagesController, TemplateController
from enishi_messages.screens import SCREENS

manifest = PluginManifest(
    title=Text(ja="メッセージ", en="Messages"),
    description=Text(
        ja="シナリオからのメッセージ送信、変数の差し込み、定型文、タップでタグ付けなどを行うボタン。",
        en="Send messages from scenarios with personal variables, message templates, and buttons that act on tap.",
    ),
    tier="start",
    core_api=">=1,<2",
)


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    register(send_messages)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[TemplateController, MessagesController]))


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    for screen in SCREENS:
        register(screen)


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    # The Alembic branch "messages" (revision messages_0001 depends on the core's core_0001).
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))


@hookimpl
async def enishi_domain_events(ctx: WorkspaceContext, events: Sequence[DomainEvent]) -> None:
    for event in events:
        await taps.on_domain_event(ctx, event)
