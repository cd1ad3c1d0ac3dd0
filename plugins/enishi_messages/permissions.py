"""Permissions: keeping the template library, sending to a friend by hand, and previewing are separate jobs."""

from __future__ import annotations

from enishi import Permission, Text

# Full keys, as route handlers name them in ``permission=…``; the registry prefixes the short names.
MANAGE_TEMPLATES = "messages.manage_templates"
SEND = "messages.send"
PREVIEW = "messages.preview"

PERMISSIONS = (
    Permission(
        name="manage_templates",
        label=Text("定型文の作成・編集・削除", "Create, edit and delete message templates"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
    Permission(
        name="send",
        label=Text("友だちへのメッセージ・定型文の送信", "Send messages and templates to a friend"),
        roles=frozenset({"owner", "admin", "operator"}),
    ),
    Permission(
        name="preview",
        label=Text("メッセージのプレビュー", "Preview messages"),
        roles=frozenset({"owner", "admin", "operator", "viewer"}),
    ),
)
