"""The two permissions: curating the tag list and putting tags on friends are separate jobs in a shop."""

from __future__ import annotations

from enishi import Permission, Text

# Full keys, as route handlers name them in ``permission=…``; the registry prefixes the short names.
MANAGE = "tags.manage"
ASSIGN = "tags.assign"

PERMISSIONS = (
    Permission(
        name="manage",
        label=Text("タグとタグフォルダの作成・編集・削除", "Create, edit and delete tags and tag folders"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
    Permission(
        name="assign",
        label=Text("友だちへのタグ付け・タグ外し", "Add tags to and remove tags from friends"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
)
