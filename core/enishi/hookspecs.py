"""The whole plugin API: every hook Enishi calls, in one module.

Registration hooks are called once per plugin at start-up, synchronously, with a core-owned ``register``
callback; the core namespaces each item as ``<plugin>.<name>``, validates its schemas and records which plugin
and version supplied it. They must not be async.

Runtime hooks are called for one workspace, only on the plugins enabled there. An implementation may be a plain
function or ``async def``; the core awaits awaitable results. Every implementation is called (no firstresult),
in pluggy's order (``tryfirst`` first, ``trylast`` last, the others from the last registered plugin to the first),
and results are ignored unless stated. An exception in one plugin is logged and does not stop the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from enishi.context import WorkspaceContext
    from enishi.events import EventType
    from enishi.registry import Register
    from enishi.types import (
        ActionType,
        ApiRoutes,
        ConditionType,
        DomainEvent,
        FriendFieldSource,
        JobType,
        Lookup,
        MigrationLocation,
        Permission,
        ReportType,
        Resource,
        Schedule,
        TriggerType,
        UiModule,
    )

PROJECT = "enishi"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------------------------------------------
# Registration hooks: sync, called once per plugin at start-up with a ``register`` callback.
# ---------------------------------------------------------------------------------------------------------------


@hookspec
def enishi_register_triggers(register: Register[TriggerType]) -> None:
    """Register trigger node types: domain events that start or resume scenarios."""


@hookspec
def enishi_register_events(register: Register[EventType]) -> None:
    """Declare the domain events the plugin announces, with the data of each (the events catalogue)."""


@hookspec
def enishi_register_actions(register: Register[ActionType]) -> None:
    """Register action node types: things a scenario step or a bulk operation does for friends."""


@hookspec
def enishi_register_conditions(register: Register[ConditionType]) -> None:
    """Register condition types, compiled to SQL for both scenario branches and segments."""


@hookspec
def enishi_register_friend_fields(register: Register[FriendFieldSource]) -> None:
    """Register sources of typed friend data for profiles, conditions, variables and list columns."""


@hookspec
def enishi_register_reports(register: Register[ReportType]) -> None:
    """Register named analyses with a parameter schema and a tabular or series result."""


@hookspec
def enishi_register_routes(register: Register[ApiRoutes]) -> None:
    """Register HTTP routes: workspace API routes (staff auth, 404 where disabled) or public pages."""


@hookspec
def enishi_register_jobs(register: Register[JobType | Schedule]) -> None:
    """Register background jobs (run by the in-process runner or arq workers) and periodic schedules."""


@hookspec
def enishi_register_permissions(register: Register[Permission]) -> None:
    """Declare permissions (e.g. ``tags.manage``) and the roles that grant them by default."""


@hookspec
def enishi_register_screens(register: Register[Lookup | Resource | UiModule]) -> None:
    """Register what the console draws: lookups forms pick from, lists and forms over REST routes, UI modules."""


@hookspec
def enishi_register_migrations(register: Register[MigrationLocation]) -> None:
    """Register the folder of the plugin's Alembic branch (branch label = plugin name)."""


# ---------------------------------------------------------------------------------------------------------------
# Runtime hooks: called for one workspace, only on plugins enabled there; sync or async.
# ---------------------------------------------------------------------------------------------------------------


@hookspec
def enishi_workspace_plugin_enabled(ctx: WorkspaceContext) -> None:
    """This plugin was just enabled in ``ctx.workspace_id``: seed its defaults (called on that plugin only)."""


@hookspec
def enishi_line_event(ctx: WorkspaceContext, event: dict[str, Any], friend_id: int | None) -> None:
    """A LINE webhook event (as LINE sent it, unknown fields kept) has been stored and is being processed.

    ``friend_id`` is the friend the event is from (their row exists by then), None for events of groups and rooms
    and of unknown types.
    """


@hookspec
def enishi_friend_followed(ctx: WorkspaceContext, friend_id: int, unblocked: bool) -> None:
    """A LINE user added the account as a friend, for the first time or after unblocking."""


@hookspec
def enishi_friend_unfollowed(ctx: WorkspaceContext, friend_id: int) -> None:
    """A friend blocked the account."""


@hookspec
def enishi_domain_event(ctx: WorkspaceContext, event: DomainEvent) -> None:
    """Any domain event (friend followed, tag added, postback, …), in the transaction of the change behind it."""


@hookspec
def enishi_domain_events(ctx: WorkspaceContext, events: Sequence[DomainEvent]) -> None:
    """A batch of domain events (a bulk change announces one per friend at once), in the transaction of the change.

    The set form of ``enishi_domain_event``: a plugin that handles events this way does its work with one
    statement per batch instead of one per friend. It is called before ``enishi_domain_event`` for the same batch,
    except its ``trylast`` implementations, called after it: the last of them is the core plugin's, the scenario
    engine, so the engine sees what every plugin's handlers did.
    """
