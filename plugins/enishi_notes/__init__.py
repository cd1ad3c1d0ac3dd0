"""Notes (個別メモ): staff notes on a friend, with pinning, edit history, soft deletion and workspace-wide search.

This module only declares the plugin and wires it up; the logic lives in the sibling modules. Everything
registered is namespaced ``notes.<name>``: condition ``notes.notes_contain``, action ``notes.add_note``, friend
field source ``notes.latest`` (keys latest, latest_at, count), permissions ``notes.write`` and
``notes.moderate``, and the console module ``notes.ui`` (the friend page's notes panel).
"""

from __future__ import annotations

from pathlib import Path

from enishi import (
    ActionType,
    ApiRoutes,
    ConditionType,
    FriendFieldSource,
    MigrationLocation,
    Permission,
    PluginManifest,
    Register,
    Text,
    hookimpl,
)
from enishi.types import Lookup, Resource, UiModule
from enishi_notes.fields import latest_source
from enishi_notes.nodes import add_note, notes_contain
from enishi_notes.permissions import PERMISSIONS
from enishi_notes.routes import FriendNotesController, NoteController
from enishi_notes.screens import SCREENS

manifest = PluginManifest(
    title=Text(ja="個別メモ", en="Notes"),
    description=Text(
        ja="友だちごとにスタッフがメモを残します。ピン留め、編集履歴、メモの全文検索、メモの内容での絞り込み。",
        en="Staff notes on each friend: pinning, edit history, search across notes and segments by note text.",
    ),
    tier="start",
    core_api=">=1,<2",
)


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    register(add_note)


@hookimpl
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    register(notes_contain)


@hookimpl
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    register(latest_source)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[FriendNotesController, NoteController]))


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    for screen in SCREENS:
        register(screen)


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    # The Alembic branch "notes" (revision notes_0001 depends on the core's core_0001).
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))
