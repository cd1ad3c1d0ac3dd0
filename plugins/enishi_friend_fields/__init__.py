"""Friend fields (友だち情報欄): typed fields per workspace — 本名, 誕生日, 住所, 電話, 会員ランク, 書類 … — and
each friend's values, usable in scenarios, segments, friend lists and message variables ({{field.<key>}}).

This module only declares the plugin and wires it up; the logic lives in the sibling modules. Everything
registered is namespaced ``friend_fields.<name>``: trigger ``friend_fields.field_changed``, action
``friend_fields.set_field``, condition ``friend_fields.field_compare``, friend field source
``friend_fields.fields``; the domain event is ``friend_fields.field_changed``.
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
from enishi_friend_fields.events import EVENTS
from enishi_friend_fields.fields import fields_source
from enishi_friend_fields.nodes import field_changed, field_compare, set_field
from enishi_friend_fields.permissions import PERMISSIONS
from enishi_friend_fields.routes import (
    DEFAULT_MAX_FILE_BYTES,
    HARD_MAX_FILE_BYTES,
    BulkController,
    FieldController,
    FriendValuesController,
)
from enishi_friend_fields.screens import SCREENS

manifest = PluginManifest(
    title=Text(ja="友だち情報欄", en="Friend fields"),
    description=Text(
        ja="本名・誕生日・住所・電話番号など、友だちごとの情報を型つきの項目で管理し、シナリオや絞り込みに使います。",
        en="Typed fields per friend (name, birthday, address, phone …) for profiles, scenarios and segments.",
    ),
    tier="start",
    core_api=">=1,<2",
    settings_schema={
        "type": "object",
        "properties": {
            "max_file_bytes": {
                "type": "integer",
                "title": "ファイル項目の最大サイズ(バイト) / Largest file in a file field (bytes)",
                "minimum": 1024,
                "maximum": HARD_MAX_FILE_BYTES,
                "default": DEFAULT_MAX_FILE_BYTES,
            }
        },
        "additionalProperties": False,
    },
)


@hookimpl
def enishi_register_triggers(register: Register[TriggerType]) -> None:
    register(field_changed)


@hookimpl
def enishi_register_events(register: Register[EventType]) -> None:
    for event in EVENTS:
        register(event)


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    register(set_field)


@hookimpl
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    register(field_compare)


@hookimpl
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    register(fields_source)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[FieldController, FriendValuesController, BulkController]))


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    for screen in SCREENS:
        register(screen)


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    # The Alembic branch "friend_fields" (revision friend_fields_0001 depends on the core's core_0001).
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))
