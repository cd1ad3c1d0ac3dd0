"""Who may save, change and delete funnels (running one needs the core's friend-search permission)."""

from __future__ import annotations

from enishi import Permission, Text

MANAGE = "funnels.manage"

PERMISSIONS = (
    Permission(
        name="manage",
        label=Text("ファネルの保存・編集・削除", "Save, edit and delete funnels"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
)
