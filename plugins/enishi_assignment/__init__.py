"""Assignment (担当者): one staff member in charge of each friend, round-robin pools and staff notifications.

This module only declares the plugin and wires it up; the logic lives in the sibling modules. Everything
registered is namespaced ``assignment.<name>``: trigger ``assignment.assigned``, actions ``assignment.assign``
and ``assignment.notify_staff``, condition ``assignment.assignee_is``, friend field ``assignment.assignee``,
domain event ``assignment.assigned``.

Assignees are the workspace's staff (users with a membership in it, active accounts). A staff member who leaves
keeps their rows, but their friends read as unassigned in conditions, lists, counts and the friend field until
they are back or the friends are reassigned; the history keeps who had whom.

Nothing is seeded when the plugin is switched on.
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
from enishi_assignment.events import EVENTS
from enishi_assignment.fields import assignee_field
from enishi_assignment.nodes import assign, assigned, assignee_is, notify_staff
from enishi_assignment.permissions import PERMISSIONS
from enishi_assignment.routes import FriendController, NotificationController, PoolController, StaffController
from enishi_assignment.screens import SCREENS

manifest = PluginManifest(
    title=Text(ja="担当者", en="Assignment"),
    description=Text(
        ja="友だちごとに担当スタッフを決めます。手動・一括・シナリオでの割り当て、グループでの順番振り分け、"
        "自分の担当の絞り込み、スタッフへの通知。",
        en="A staff member in charge of each friend: by hand, in bulk or by scenarios, round-robin pools, "
        "a my-friends filter and notifications for staff.",
    ),
    tier="start",
    core_api=">=1,<2",
)


@hookimpl
def enishi_register_triggers(register: Register[TriggerType]) -> None:
    register(assigned)


@hookimpl
def enishi_register_events(register: Register[EventType]) -> None:
    for event in EVENTS:
        register(event)


@hookimpl
def enishi_register_actions(register: Register[ActionType]) -> None:
    register(assign)
    register(notify_staff)


@hookimpl
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    register(assignee_is)


@hookimpl
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    register(assignee_field)


@hookimpl
def enishi_register_permissions(register: Register[Permission]) -> None:
    for permission in PERMISSIONS:
        register(permission)


@hookimpl
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    register(ApiRoutes(handlers=[StaffController, FriendController, PoolController, NotificationController]))


@hookimpl
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    for screen in SCREENS:
        register(screen)


@hookimpl
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    # The Alembic branch "assignment" (revision assignment_0001 depends on the core's core_0001).
    register(MigrationLocation(path=Path(__file__).parent / "migrations"))
