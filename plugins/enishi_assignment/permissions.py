"""Permissions: who may assign friends, who may set up round-robin pools, who may read their notifications."""

from __future__ import annotations

from enishi import Permission, Text

# Full keys, as route handlers name them in ``permission=…``; the registry prefixes the short names.
ASSIGN = "assignment.assign"
MANAGE_POOLS = "assignment.manage_pools"
NOTIFICATIONS = "assignment.notifications"

PERMISSIONS = (
    Permission(
        name="assign",
        label=Text("友だちの担当者の設定・解除", "Assign friends to staff and unassign them"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
    Permission(
        name="manage_pools",
        label=Text("振り分けグループの作成・編集・削除", "Create, edit and delete round-robin pools"),
        roles=frozenset({"owner", "admin"}),
    ),
    Permission(
        # Every role by default, viewers too: marking one's own notifications read changes nothing else.
        name="notifications",
        label=Text("自分宛ての通知を既読にする", "Mark one's own notifications read"),
        roles=frozenset({"owner", "admin", "operator", "viewer"}),
    ),
)
