"""The core plugin: what the core itself registers under the reserved plugin name ``core`` (its jobs, node types,
conditions, events and permissions), and the scenario engine listening to domain events.

The composition root (the app, the CLI and the worker, through :mod:`enishi.composition`) hands it to
:func:`enishi.plugin_host.discover`, so the plugin host knows nothing of the engines it registers. It is never off:
its runtime hooks run in every workspace.
"""

from __future__ import annotations

from collections.abc import Sequence

from enishi.audience.bulk import register_bulk_jobs
from enishi.audience.core_conditions import register_core_conditions
from enishi.context import WorkspaceContext
from enishi.delivery.engine import register_delivery_jobs
from enishi.delivery.progress import count_broadcast_sends
from enishi.events import CORE_EVENTS
from enishi.hookspecs import hookimpl
from enishi.jobs.core_jobs import register_core_jobs
from enishi.line.jobs import register_intake_jobs
from enishi.line.outbox import on_settled, register_line_jobs
from enishi.registry import CORE, Registered, Registry
from enishi.scenarios.core_nodes import register_core_nodes
from enishi.scenarios.engine import on_events, register_scenario_jobs
from enishi.text import Text
from enishi.types import DomainEvent, Lookup, Permission
from enishi.version import CORE_API_VERSION

CORE_PERMISSIONS = (
    Permission(
        name="write",
        label=Text("ワークスペース内のデータを変更", "Change data in the workspace"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
    Permission(name="manage_workspace", label=Text("ワークスペースとLINE連携の設定", "Workspace and LINE settings")),
    Permission(name="manage_staff", label=Text("スタッフの招待と権限", "Invite staff and set roles")),
    Permission(name="manage_plugins", label=Text("機能(プラグイン)のオン・オフと設定", "Turn plugins on/off")),
    Permission(name="read_audit", label=Text("操作履歴の閲覧", "Read the audit log")),
    Permission(
        name="search_friends",
        label=Text("友だちの検索・絞り込み", "Search and filter friends"),
        roles=frozenset({"owner", "admin", "operator", "viewer"}),
    ),
    Permission(name="export_friends", label=Text("友だちリストのCSV出力", "Export friend lists as CSV")),
    Permission(
        name="broadcast",
        label=Text("一斉配信・セグメント配信の作成と送信", "Create and send broadcasts"),
        roles=frozenset({"owner", "admin"}),
    ),
    Permission(
        name="manage_roles",
        label=Text("役割ごとの権限設定", "Change what each role may do"),
        roles=frozenset({"owner"}),
    ),
)


# The core's own lookup: a picker of the workspace's scenarios wherever a schema names a scenario_id.
SCENARIOS_LOOKUP = Lookup(
    name="scenarios",
    label=Text("シナリオ", "Scenarios"),
    path="/scenarios?limit=200",
    paged=True,
    properties={"scenario_id": "integer"},
)


def register_core(registry: Registry) -> None:
    """Add what the core registers to ``registry``: straight in, as the core also owns kinds no hook has (waits)."""
    register_core_jobs(registry)
    register_intake_jobs(registry)
    register_line_jobs(registry)
    register_delivery_jobs(registry)
    register_core_nodes(registry)
    register_core_conditions(registry)
    register_scenario_jobs(registry)
    register_bulk_jobs(registry)
    for event in CORE_EVENTS:
        registry.add(
            "events", Registered(key=f"{CORE}.{event.name}", plugin=CORE, plugin_version=CORE_API_VERSION, item=event)
        )
    for permission in CORE_PERMISSIONS:
        registry.add(
            "permissions",
            Registered(key=f"{CORE}.{permission.name}", plugin=CORE, plugin_version=CORE_API_VERSION, item=permission),
        )
    registry.add(
        "lookups",
        Registered(
            key=f"{CORE}.{SCENARIOS_LOOKUP.name}", plugin=CORE, plugin_version=CORE_API_VERSION, item=SCENARIOS_LOOKUP
        ),
    )
    # A broadcast counts its recipients as the outbox settles their sends (process-wide, installed once).
    on_settled(count_broadcast_sends)


@hookimpl(trylast=True)
async def enishi_domain_events(ctx: WorkspaceContext, events: Sequence[DomainEvent]) -> None:
    """The scenario engine takes every batch of events (starting, resuming and pausing runs), last of all.

    The core plugin registers after every other plugin, so among the ``trylast`` implementations, which
    :meth:`enishi.context.WorkspaceContext.emit_events` calls after all the other handlers, this one runs last.
    """
    await on_events(ctx, events)
