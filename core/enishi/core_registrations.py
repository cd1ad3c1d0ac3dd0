"""What the core itself registers, under the reserved plugin name ``core``."""

from __future__ import annotations

from enishi.registry import Registered, Registry
from enishi.text import Text
from enishi.types import Permission

CORE = "core"

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


def register_core(registry: Registry) -> None:
    from enishi.audience.bulk import register_bulk_jobs
    from enishi.audience.core_conditions import register_core_conditions
    from enishi.delivery.engine import register_delivery_jobs
    from enishi.jobs.core_jobs import register_core_jobs
    from enishi.line.jobs import register_intake_jobs
    from enishi.line.outbox import register_line_jobs
    from enishi.scenarios.core_nodes import register_core_nodes
    from enishi.scenarios.engine import register_scenario_jobs
    from enishi.version import CORE_API_VERSION

    register_core_jobs(registry)
    register_intake_jobs(registry)
    register_line_jobs(registry)
    register_delivery_jobs(registry)
    register_core_nodes(registry)
    register_core_conditions(registry)
    register_scenario_jobs(registry)
    register_bulk_jobs(registry)
    for permission in CORE_PERMISSIONS:
        registry.add(
            "permissions",
            Registered(key=f"{CORE}.{permission.name}", plugin=CORE, plugin_version=CORE_API_VERSION, item=permission),
        )
