"""Designing the profile (which fields exist) and filling it in are separate jobs in a shop."""

from __future__ import annotations

from enishi import Permission, Text

# Full keys, as route handlers name them in ``permission=…``; the registry prefixes the short names.
MANAGE = "friend_fields.manage"
EDIT = "friend_fields.edit"

PERMISSIONS = (
    Permission(
        name="manage",
        label=Text("友だち情報欄の項目の作成・編集・削除", "Create, edit and delete friend fields"),
        roles=frozenset({"owner", "admin"}),
    ),
    Permission(
        name="edit",
        label=Text("友だち情報の入力・変更", "Fill in and change friends' field values"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
)
