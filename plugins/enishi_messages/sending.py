"""Sending messages to one friend: variables filled in, buttons given their tokens, LINE's limits kept.

Everything happens in the caller's transaction and goes out through the core's outbox (``send_to_friend``), so
a send is recorded exactly once per ``idempotency_key``: a step re-run after a crash finds the first outbox row,
and the buttons' tokens, which are keyed by the same idempotency key, are found again rather than made anew.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from enishi import (
    BulkActionContext,
    Friend,
    FriendSend,
    SchemaProblem,
    WorkspaceContext,
    message_variables,
    send_to_friend,
    send_to_friends,
)
from enishi_messages import postbacks, validation, variables


class UnsendableMessages(ValueError):
    """Messages LINE would refuse even after cutting long values short (e.g. a text left empty)."""

    def __init__(self, problems: list[SchemaProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))


@dataclass(frozen=True, slots=True)
class Sent:
    request_id: int
    kind: str  # "reply" (free) or "push"
    status: str  # pending, held (quota used up) or failed (the friend blocked the account)
    messages: list[dict[str, Any]]  # as sent


async def send(
    ctx: WorkspaceContext,
    friend_id: int,
    messages: Sequence[dict[str, Any]],
    *,
    idempotency_key: str,
    source: str,
    sent_by_user_id: int | None = None,
) -> Sent:
    """Send messages as written (variables, button actions) to one friend, once per ``idempotency_key``."""
    # The scoped session does not find another workspace's friend, exactly like a missing one.
    if await ctx.session.get(Friend, friend_id) is None:
        raise LookupError(f"friend {friend_id} is not in workspace {ctx.workspace_id}")
    prepared = await prepare(ctx, friend_id, messages, idempotency_key=idempotency_key)
    row = await send_to_friend(
        ctx,
        ctx.workspace_id,
        friend_id,
        prepared,
        idempotency_key=idempotency_key,
        source=source,
        sent_by_user_id=sent_by_user_id,
    )
    return Sent(row.id, row.kind, row.status, list(row.messages))


async def send_many(
    ctx: BulkActionContext, friend_ids: Sequence[int], messages: Sequence[dict[str, Any]], *, source: str
) -> dict[int, Sent]:
    """:func:`send` for a set of friends (a batch of scenario steps), each once per ``ctx.key_for(friend)``.

    Variables are loaded once per source for the whole set and filled in per friend; messages with buttons get
    their tokens per friend (each friend's taps are their own). One batched write to the outbox for all.
    """
    written = list(messages)
    if validation.buttons(written):
        prepared = {f: await prepare(ctx, f, written, idempotency_key=ctx.key_for(f)) for f in friend_ids}
    else:
        wanted = variables.used(written)
        values = await message_variables.values_for_many(ctx, friend_ids, wanted) if wanted else {}
        prepared = {}
        for friend_id in friend_ids:
            expanded = variables.expand(written, values[friend_id]) if wanted else written
            if wanted and message_variables.grew(written, expanded):
                expanded, problems = fit_to_line(expanded)
                if problems:
                    raise UnsendableMessages(problems)
            prepared[friend_id] = expanded
    rows = await send_to_friends(ctx, [FriendSend(f, ctx.key_for(f), prepared[f]) for f in friend_ids], source=source)
    return {f: Sent(row.id, row.kind, row.status, list(row.messages)) for f, row in rows.items()}


async def prepare(
    ctx: WorkspaceContext, friend_id: int, messages: Sequence[dict[str, Any]], *, idempotency_key: str
) -> list[dict[str, Any]]:
    """The messages as LINE gets them for this friend; records the buttons' actions under their tokens."""
    expanded, _ = await variables.expand_for_friend(ctx, friend_id, list(messages))
    found = validation.buttons(expanded)
    if found:
        tokens = await postbacks.tokens_for(ctx, friend_id, idempotency_key, [node for _, node in found])
        for (_, node), token in zip(found, tokens, strict=True):
            _make_button(node, validation.POSTBACK_PREFIX + token)
    fitted, problems = fit_to_line(expanded)
    if problems:
        raise UnsendableMessages(problems)
    return list(fitted)


async def preview(
    ctx: WorkspaceContext,
    friend_id: int | None,
    messages: Sequence[dict[str, Any]],
    missing: Callable[[variables.Variable], str],
) -> tuple[list[dict[str, Any]], variables.Values, list[SchemaProblem]]:
    """What the friend would see, without recording or sending anything; problems LINE would still have."""
    expanded, values = await variables.expand_for_friend(ctx, friend_id, list(messages), missing)
    for _, node in validation.buttons(expanded):
        _make_button(node, validation.POSTBACK_PREFIX + "preview")
    fitted, problems = fit_to_line(expanded)
    return list(fitted), values, problems


def _make_button(node: dict[str, Any], data: str) -> None:
    for key in validation.ENISHI_KEYS:
        node.pop(key, None)
    node["data"] = data


def fit_to_line(messages: list[Any]) -> tuple[list[Any], list[SchemaProblem]]:
    """Cut values that filled-in variables made too long; the problems that remain after that (the core's rule)."""
    return message_variables.fit_to_line(messages, "$.messages")


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` UTF-16 units, ending in "…", never splitting a character."""
    return message_variables.shorten(text, limit)
