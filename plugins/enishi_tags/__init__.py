"""Tags (タグ管理): folders of tags, tags on friends (by hand, in bulk, by scenarios) and tag segments.

This module only declares the plugin and wires it up; the logic lives in the sibling modules. Everything
registered is namespaced ``tags.<name>``: triggers ``tags.tag_added`` / ``tags.tag_removed``, actions
``tags.add_tag`` / ``tags.remove_tag``, condition ``tags.has_tags``, friend field ``tags.tags``. Its console module
(``ui/``, built into ``ui/dist/module.js`` by the console's build) is the tags' settings page (screens.py).

Nothing is seeded when the plugin is switched on: tags without a folder already show as 未分類, so a default
folder would only be a second, emptier 未分類.
"""

from __future__ import annotations

from pathlib import Path

from enishi import (
    ActionType,
    ApiRoutes,
    ConditionType,
    EventType,
    FriendFieldSource,
    MigrationLocation,
    Permission,
    PluginManifest,
    Register,
    Text,
    TriggerType,
    hookimpl,
)
from enishi.types import Lookup, Resource, UiModule
from enishi_tags.events import EVENTS
from enishi_tags.fields import tags_field
from enishi_tags.nodes import add_tag, has_tags, remove_tag, tag_added, tag_removed
from enishi_tags.permissions import PERMISSIONS
from enishi_tags.routes import FolderController, FriendTagController, TagController
from enishi_tags.screens import SCREENS

manifest = PluginManifest(
    title=Text(ja="タグ管理", en="Tags"),
    description=Text(
        ja="友だちにタグを付けて分類します。フォルダ分け、個別・一括のタグ付け、タグによるシナリオ開始と絞り込み。",
        en="Label friends with tags: folders, tagging one by one or in bulk, tag-triggered scenarios and segments.",
    ),
    tier="start",
    core_api=">=1,<2",
)


@hookimpl
def enishi_register_triggers(register: Register[TriggerType]) -> None:
    register(tag_added)
    register(tag_removed)


@hookimpl
def enishi_register_events(register: Register[EventType]) -> None:
    for event in EVENTS:
        register(event)


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    register(add_tag)
    register(remove_tag)


@hookimpl
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    register(has_tags)


@hookimpl
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    register(tags_field)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[FolderController, FriendTagController, TagController]))


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    for screen in SCREENS:
        register(screen)


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    # The Alembic branch "tags" (revision tags_0001 depends on the core's core_0001).
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))
