"""Taps on buttons that run actions or reply: the plugin's answer to the core's ``core.postback_received``.

When the friend taps such a button, LINE sends its data back in a postback event; the core stores it as an
inbound message and announces ``core.postback_received`` in the transaction that processes the event. The token
must be one of this workspace's and sent to this friend (anything else is ignored with a log line); each action
runs through ``enishi.run_action`` in a savepoint of its own, and the reply goes out through the outbox. The tap
is recorded under the inbound message's id, so a redelivered or reprocessed postback runs nothing twice. The
button's label is kept in that message's body (``label``), which the inbox shows instead of the token.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select

from enishi import DomainEvent, Message, WorkspaceContext, run_action, upsert_insert
from enishi.events import POSTBACK_RECEIVED
from enishi_messages import sending
from enishi_messages.models import PostbackButton, PostbackTap
from enishi_messages.validation import POSTBACK_PREFIX

log = logging.getLogger("enishi.plugins.messages")

TAP_SOURCE = "postback"


async def on_domain_event(ctx: WorkspaceContext, event: DomainEvent) -> None:
    if event.name != POSTBACK_RECEIVED or event.friend_id is None:
        return
    data = event.data.get("text")
    message_id = event.data.get("message_id")
    if not isinstance(data, str) or not data.startswith(POSTBACK_PREFIX) or not isinstance(message_id, int):
        return
    await tap(ctx, event.friend_id, message_id, data[len(POSTBACK_PREFIX) :])


async def tap(ctx: WorkspaceContext, friend_id: int, message_id: int, token: str) -> PostbackTap | None:
    """Run what the tapped button does, once per inbound postback; None if the token is not this friend's."""
    button = await ctx.session.scalar(
        select(PostbackButton).where(PostbackButton.token == token, PostbackButton.friend_id == friend_id)
    )
    if button is None:
        # A button of another friend or workspace, a token that never existed, or one whose friend was deleted.
        log.warning(
            "workspace %s: friend %s tapped a postback with an unknown token (%d characters); ignored",
            ctx.workspace_id,
            friend_id,
            len(token),
        )
        return None
    await _label_message(ctx, message_id, button.label)
    earlier = 0
    if button.once:
        earlier = int(
            await ctx.session.scalar(
                select(func.count()).select_from(PostbackTap).where(PostbackTap.postback_id == button.id)
            )
            or 0
        )
    tap_id = await ctx.session.scalar(
        upsert_insert(ctx.session, PostbackTap)
        .values(
            workspace_id=ctx.workspace_id,
            postback_id=button.id,
            friend_id=friend_id,
            message_id=message_id,
            status="repeat" if earlier else "ran",
            results=[],
            tapped_at=ctx.now,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "message_id"])
        .returning(PostbackTap.id)
    )
    if tap_id is None:  # this postback was handled already (a redelivery, or the event processed again)
        return None
    record = await ctx.session.get(PostbackTap, tap_id)
    assert record is not None
    if earlier:
        return record
    results = [await _run_one(ctx, friend_id, message_id, i, action) for i, action in enumerate(button.actions)]
    if button.reply:
        results.append(await _reply(ctx, friend_id, message_id, button.reply))
    record.results = results
    await ctx.session.flush()
    return record


async def _label_message(ctx: WorkspaceContext, message_id: int, label: str) -> None:
    """Keep the button's label with the tap's message, so the talk shows what was tapped, not the token."""
    message = await ctx.session.get(Message, message_id)
    if message is not None and label and message.body.get("label") != label:
        message.body = {**message.body, "label": label}


async def _run_one(
    ctx: WorkspaceContext, friend_id: int, message_id: int, i: int, action: dict[str, Any]
) -> dict[str, Any]:
    """One action in a savepoint: a failing action (its plugin switched off, its tag deleted …) is recorded
    and undone, and the others and the reply still run."""
    key = action.get("type")
    try:
        async with ctx.session.begin_nested():
            result = await run_action(
                ctx,
                str(key),
                action.get("type_version"),
                friend_id,
                action.get("config") or {},
                idempotency_key=f"postback:{message_id}:{i}",
                source=TAP_SOURCE,
            )
    except Exception as exc:
        log.warning("workspace %s: button action %s for friend %s failed: %s", ctx.workspace_id, key, friend_id, exc)
        return {"action": key, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
    return {"action": key, "ok": True, "result": dict(result)}


async def _reply(ctx: WorkspaceContext, friend_id: int, message_id: int, reply: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        async with ctx.session.begin_nested():
            sent = await sending.send(
                ctx, friend_id, reply, idempotency_key=f"postback:{message_id}:reply", source=TAP_SOURCE
            )
    except Exception as exc:
        log.warning("workspace %s: button reply to friend %s failed: %s", ctx.workspace_id, friend_id, exc)
        return {"action": "reply", "ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
    return {"action": "reply", "ok": True, "result": {"request_id": sent.request_id, "kind": sent.kind}}
