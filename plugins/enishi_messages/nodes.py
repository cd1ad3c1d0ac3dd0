"""The scenario action ``messages.send_messages``: send 1 to 5 messages, written inline or from a template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select

from enishi import ActionContext, ActionType, BulkActionContext, SchemaProblem, Text, WorkspaceContext
from enishi_messages import sending, templates, validation

MESSAGE_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "title": "メッセージ / Message",
    "description": "LINEのメッセージオブジェクト / a LINE message object (text, image, sticker, template, flex …)",
    "properties": {"type": {"type": "string", "title": "種類 / Type"}},
    "required": ["type"],
}

SEND_MESSAGES_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "messages": {
            "type": "array",
            "title": "メッセージ / Messages",
            "description": "1〜5件。{{friend.display_name}} などの変数が使えます / 1 to 5; variables allowed",
            "items": MESSAGE_SCHEMA,
            "minItems": 1,
            "maxItems": validation.MAX_MESSAGES,
        },
        "template_id": {
            "type": "integer",
            "title": "定型文 / Message template",
            "description": "メッセージの代わりに定型文を送ります / send a saved template instead",
            "minimum": 1,
        },
    },
    "additionalProperties": False,
}

SEND_MESSAGES_UI: Mapping[str, Any] = {
    "ui:order": ["messages", "template_id"],
    # The builder's message editor with a LINE-like preview, and the route that shows them as a friend would.
    "messages": {"ui:field": "lineMessages", "ui:options": {"preview": "/messages/preview"}},
    "template_id": {"ui:widget": "messageTemplate"},  # a picker over GET …/messages/templates
}


async def check_send_messages(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    """Messages by LINE's rules, variables that exist here, button actions that can run; or a template that exists."""
    has_messages, has_template = "messages" in config, "template_id" in config
    if has_messages == has_template:
        message = (
            "メッセージか定型文のどちらか一方を指定してください / give either messages or template_id, not both"
            if has_messages
            else "メッセージか定型文を指定してください / give messages or a template_id"
        )
        return [SchemaProblem("$.messages" if not has_messages else "$.template_id", message)]
    if has_messages:
        return await validation.message_problems(ctx, config["messages"], "$.messages")
    template = await templates.find(ctx, config["template_id"])
    if template is None:
        return [SchemaProblem("$.template_id", "定型文が見つかりません / no such message template (deleted?)")]
    # The template may have gone stale since it was saved (a field deleted, a plugin switched off).
    problems = await validation.message_problems(ctx, template.messages, "$.messages")
    return [SchemaProblem("$.template_id", f"定型文「{template.name}」: {p.path[2:]}: {p.message}") for p in problems]


async def send_messages_actions(
    ctx: WorkspaceContext, config: Mapping[str, Any]
) -> Sequence[tuple[str, Mapping[str, Any]]]:
    """The actions behind the buttons of the messages, or of the template's (reported at ``$.template_id``)."""
    if config.get("messages") is not None:
        return validation.tap_actions(config["messages"], "$.messages")
    template_id = config.get("template_id")
    template = await templates.find(ctx, template_id) if isinstance(template_id, int) else None
    if template is None:
        return []
    return [("$.template_id", action) for _, action in validation.tap_actions(template.messages)]


async def _messages_of(ctx: WorkspaceContext, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The messages written in the node, or its template's as they are now."""
    if config.get("messages") is not None:
        return list(config["messages"])
    template = await templates.find(ctx, int(config.get("template_id") or 0))
    if template is None:
        raise LookupError(f"message template {config.get('template_id')} is not in workspace {ctx.workspace_id}")
    return list(template.messages)


async def run_send_messages(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Records the send in the step's transaction (the outbox row); re-running it with the same key sends nothing."""
    messages = await _messages_of(ctx, config)
    template_id = config.get("template_id")
    sent = await sending.send(ctx, friend_id, messages, idempotency_key=ctx.idempotency_key, source=ctx.source)
    out: dict[str, Any] = {
        "request_id": sent.request_id,
        "kind": sent.kind,
        "status": sent.status,
        "messages": len(sent.messages),
    }
    if template_id is not None:
        out["template_id"] = template_id
    return out


async def run_send_messages_bulk(
    ctx: BulkActionContext, friend_ids: Select[Any], config: Mapping[str, Any]
) -> Mapping[int, Mapping[str, Any]]:
    """The set-based form for a batch of scenario steps: one write to the outbox for every friend of the batch."""
    messages = await _messages_of(ctx, config)
    template_id = config.get("template_id")
    ids = list((await ctx.session.scalars(friend_ids)).all())
    sent = await sending.send_many(ctx, ids, messages, source=ctx.source)
    extra = {"template_id": template_id} if template_id is not None else {}
    return {
        f: {"request_id": s.request_id, "kind": s.kind, "status": s.status, "messages": len(s.messages), **extra}
        for f, s in sent.items()
    }


send_messages = ActionType(
    name="send_messages",
    permission="messages.send",
    label=Text("メッセージを送る", "Send messages"),
    description=Text(
        "テキスト・画像・スタンプ・ボタンやカルーセル・Flexメッセージを1〜5件送ります。"
        "応答トークンが有効なら無料の応答で、なければプッシュで送ります。",
        "Sends 1 to 5 messages (text, image, sticker, buttons, carousels, Flex). Goes out as a free reply while "
        "the friend's reply token is fresh, otherwise as a push.",
    ),
    config_schema=SEND_MESSAGES_CONFIG,
    ui_schema=SEND_MESSAGES_UI,
    run=run_send_messages,
    actions_inside=send_messages_actions,
    run_bulk=run_send_messages_bulk,
    sends_messages=True,
    check_config=check_send_messages,
)
