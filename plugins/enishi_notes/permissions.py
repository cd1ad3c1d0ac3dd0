"""Writing notes is everyday work; changing or deleting someone else's note is for admins."""

from __future__ import annotations

from enishi import Permission, Text

# Full keys, as route handlers name them in ``permission=…``; the registry prefixes the short names.
WRITE = "notes.write"
MODERATE = "notes.moderate"

PERMISSIONS = (
    Permission(
        name="write",
        label=Text("メモの作成、自分のメモの編集・削除、ピン留め", "Write notes, edit and delete your own, pin notes"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
    Permission(
        name="moderate",
        label=Text("他のスタッフのメモの編集・削除・復元", "Edit, delete and restore other staff members' notes"),
        roles=frozenset({"owner", "admin"}),
    ),
)
