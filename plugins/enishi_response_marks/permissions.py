"""Curating the list of marks (and the auto rule) and marking friends and messages are separate jobs."""

from __future__ import annotations

from enishi import Permission, Text

# Full keys, as route handlers name them in ``permission=…``; the registry prefixes the short names.
MANAGE = "response_marks.manage"
ASSIGN = "response_marks.assign"

PERMISSIONS = (
    Permission(
        name="manage",
        label=Text(
            "対応マークの作成・編集・並べ替え・削除と自動設定", "Create, edit, reorder and delete marks; the auto rule"
        ),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
    Permission(
        name="assign",
        label=Text("友だち・メッセージへの対応マークの設定・解除", "Set and clear marks on friends and messages"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
)
