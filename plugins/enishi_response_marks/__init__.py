"""Response marks (対応マーク): where each conversation stands — 要対応, 対応中, 対応済 or marks of your own.

Each friend carries at most one mark, with a history of every change (who or what set it, from → to, when);
single inbound messages can carry a mark too. A workspace's rule can mark friends automatically when they send a
message. This module only declares the plugin and wires it up; the logic lives in the sibling modules.
Everything registered is namespaced ``response_marks.<name>``: trigger ``response_marks.mark_changed``, action
``response_marks.set_mark``, condition ``response_marks.mark_is``, friend field ``response_marks.mark``. Its console
module (``ui/``, built into ``ui/dist/module.js`` by the console's build) is the marks' settings page (screens.py).

Switching the plugin on in a workspace seeds 要対応 (red) / 対応中 (yellow) / 対応済 (green) and a switched-off
auto rule set to 要対応, once: switching it off and on again keeps what staff changed.
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
    MigrationLocation,
    Permission,
    PluginManifest,
    Register,
    Text,
    TriggerType,
    WorkspaceContext,
    hookimpl,
)
from enishi.events import MESSAGE_RECEIVED
from enishi.types import Lookup, Resource, UiModule
from enishi_response_marks import service
from enishi_response_marks.events import EVENTS
from enishi_response_marks.fields import mark_field
from enishi_response_marks.nodes import mark_changed, mark_is, set_mark
from enishi_response_marks.permissions import PERMISSIONS
from enishi_response_marks.routes import (
    AutoRuleController,
    FriendMarkController,
    MarkController,
    MessageMarkController,
)
from enishi_response_marks.screens import SCREENS

manifest = PluginManifest(
    title=Text(ja="対応マーク", en="Response marks"),
    description=Text(
        ja="友だちやメッセージに「要対応」「対応中」「対応済」などのマークを付け、対応状況を管理します。"
        "メッセージ受信時の自動設定、マークの変更によるシナリオ開始と絞り込み。",
        en="Mark friends and messages as needing a reply, in progress or done, with marks of your own; "
        "automatic marking on inbound messages, mark-triggered scenarios and segments.",
    ),
    tier="start",
    core_api=">=1,<2",
)


@hookimpl
def enishi_register_triggers(register: Register[TriggerType]) -> None:
    register(mark_changed)


@hookimpl
def enishi_register_events(register: Register[EventType]) -> None:
    for event in EVENTS:
        register(event)


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    register(set_mark)


@hookimpl
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    register(mark_is)


@hookimpl
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    register(mark_field)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[MarkController, AutoRuleController, FriendMarkController, MessageMarkController]))


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    for screen in SCREENS:
        register(screen)


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    # The Alembic branch "response_marks" (revision response_marks_0001 depends on the core's core_0001).
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))


@hookimpl
async def enishi_workspace_plugin_enabled(ctx: WorkspaceContext) -> None:
    await service.seed_defaults(ctx)


@hookimpl
async def enishi_domain_events(ctx: WorkspaceContext, events: Sequence[DomainEvent]) -> None:
    """The auto rule: a friend's message may mark the friend (and the message). Other events are skipped at once."""
    for event in events:
        if event.name != MESSAGE_RECEIVED or event.friend_id is None:
            continue
        message_id = event.data.get("message_id")
        await service.apply_auto_rule(ctx, event.friend_id, message_id if isinstance(message_id, int) else None)
