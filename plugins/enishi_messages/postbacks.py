"""Buttons that do something when tapped: each gets a token when its message is sent.

Each postback action carrying ``enishi_actions`` or ``reply`` is stored under a random token (with the friend
and the send's idempotency key) and goes out with ``data = "enishi:pb:<token>"``; :mod:`enishi_messages.taps`
finds it again when the friend taps it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from enishi import WorkspaceContext, upsert_insert
from enishi_messages.models import PostbackButton

TOKEN_BYTES = 16  # 22 URL-safe characters: not guessable, short enough for LINE's 300-character data


async def tokens_for(
    ctx: WorkspaceContext, friend_id: int, idempotency_key: str, buttons: Sequence[dict[str, Any]]
) -> list[str]:
    """One token per button of a send, in order; asking again for the same send gives the same tokens."""
    now = ctx.now
    rows = [
        {
            "workspace_id": ctx.workspace_id,
            "token": secrets.token_urlsafe(TOKEN_BYTES),
            "friend_id": friend_id,
            "idempotency_key": idempotency_key,
            "position": position,
            "label": _label(button),
            "actions": list(button.get("enishi_actions") or []),
            "reply": button.get("reply"),
            "once": bool(button.get("enishi_once", False)),
            "created_at": now,
        }
        for position, button in enumerate(buttons)
    ]
    await ctx.session.execute(
        upsert_insert(ctx.session, PostbackButton)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["workspace_id", "idempotency_key", "position"])
    )
    rows_found = await ctx.session.execute(
        select(PostbackButton.position, PostbackButton.token).where(
            PostbackButton.idempotency_key == idempotency_key, PostbackButton.position < len(rows)
        )
    )
    found = {position: token for position, token in rows_found}
    return [found[position] for position in range(len(rows))]


def _label(button: dict[str, Any]) -> str:
    label = button.get("label") or button.get("displayText") or ""
    return str(label)[:100]
