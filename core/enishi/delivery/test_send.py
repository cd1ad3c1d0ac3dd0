"""Test sends (``POST /broadcasts/test-send``): checked messages pushed to one LINE user, a staff member's own
account or a simulated user of the emulator, filled in with that friend's values, before a broadcast goes out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from enishi.context import WorkspaceContext
from enishi.line import variables
from enishi.line.outbox import OutboxRequest, record_requests
from enishi.models import Friend
from enishi.schema_validation import SchemaProblem

TEST_SOURCE = "broadcast_test"


@dataclass(frozen=True)
class TestSend:
    request_id: int
    status: str  # pending, held (quota used up)
    line_user_id: str
    friend_id: int | None
    messages: list[dict[str, Any]]  # as sent, variables filled in


class CannotTest(ValueError):
    def __init__(self, problems: list[SchemaProblem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


async def send_test(
    ctx: WorkspaceContext,
    messages: list[dict[str, Any]],
    *,
    friend_id: int | None = None,
    line_user_id: str | None = None,
) -> TestSend:
    """Push checked messages to one LINE user (a staff member's own account, or a simulated user of the emulator),
    filled in with that friend's values (defaults for a user who is not a friend); sent after commit."""
    friend = None
    if friend_id is not None:
        friend = await ctx.session.get(Friend, friend_id)
        if friend is None:
            raise LookupError(f"friend {friend_id} not found")
    else:
        friend = await ctx.session.scalar(select(Friend).where(Friend.line_user_id == line_user_id))
        if friend is None and not ctx.settings.emulator:
            raise CannotTest(
                [
                    SchemaProblem(
                        "$.to.user_line_id", "友だちではないユーザーには送れません / not a friend of the account"
                    )
                ]
            )
    if friend is not None and friend.status != "following":
        raise CannotTest(
            [SchemaProblem("$.to", "ブロック中の友だちには送れません / the friend has blocked the account")]
        )
    used = variables.used(messages)
    values: variables.Values = {v.name: None for v in used}
    if friend is not None and used:
        values = (await variables.values_for_many(ctx, [friend.id], used))[friend.id]
    expanded = variables.expand(messages, values)
    if variables.grew(messages, expanded):
        expanded, problems = variables.fit_to_line(expanded)
        if problems:
            raise CannotTest(problems)
    to = friend.line_user_id if friend is not None else str(line_user_id)
    [row] = await record_requests(
        ctx.session,
        ctx.workspace_id,
        [OutboxRequest(f"broadcast-test:{uuid.uuid4()}", "push", [to], [friend.id] if friend else [], expanded)],
        source=TEST_SOURCE,
        sent_by_user_id=ctx.actor_user_id,
        jobs=ctx.jobs,
    )
    return TestSend(row.id, row.status, to, friend.id if friend else None, expanded)
