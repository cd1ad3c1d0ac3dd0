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
from enishi.models import Friend, Workspace
from enishi.schema_validation import SchemaProblem

TEST_SOURCE = "broadcast_test"


@dataclass(frozen=True)
class TestSend:
    request_id: int
    status: str  # pending, held (quota used up)
    line_user_id: str
    friend_id: int | None
    messages: list[dict[str, Any]]  # as sent, variables filled in


@dataclass(frozen=True)
class TestRecipient:
    friend_id: int | None  # None: a simulated user who is not a friend
    line_user_id: str
    name: str
    simulated: bool


MAX_RECIPIENTS_LISTED = 20


async def recipients(ctx: WorkspaceContext, emulator: Any | None, query: str) -> list[TestRecipient]:
    """Whom a test send can go to, by name: following friends (a staff member's own LINE account is one of them;
    one SELECT, at most 20) and, with the emulator, the simulated users of the workspace's channel."""
    select_friends = (
        select(Friend.id, Friend.line_user_id, Friend.display_name)
        .where(Friend.status == "following")
        .order_by(Friend.display_name, Friend.id)
        .limit(MAX_RECIPIENTS_LISTED)
    )
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        select_friends = select_friends.where(Friend.display_name.ilike(pattern, escape="\\"))
    friends = (await ctx.session.execute(select_friends)).all()
    simulated: dict[str, str] = {}
    if emulator is not None:
        channel_id = await ctx.session.scalar(select(Workspace.line_channel_id).where(Workspace.id == ctx.workspace_id))
        users = emulator.channels.get(str(channel_id))
        for user in users.users.values() if users is not None else ():
            if user.following and query.lower() in str(user.display_name).lower():
                simulated[user.user_id] = str(user.display_name)
    found = [TestRecipient(f.id, f.line_user_id, f.display_name or "", f.line_user_id in simulated) for f in friends]
    listed = {r.line_user_id for r in found}
    found += [
        TestRecipient(None, user_id, name, True)
        for user_id, name in sorted(simulated.items(), key=lambda u: u[1])
        if user_id not in listed
    ][: max(MAX_RECIPIENTS_LISTED - len(found), 0)]
    return found


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
