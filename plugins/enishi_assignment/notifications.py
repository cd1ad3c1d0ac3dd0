"""Staff notifications (スタッフに通知): one row per recipient, written in the caller's transaction.

A scenario step that runs again after a crash (its first attempt rolled back) or twice by a duplicate job
passes the same idempotency key, and the unique (workspace, user, key) makes the second write a no-op, so
nobody is notified twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Select, String, and_, case, func, literal, or_, select, update

from enishi import BigId, Friend, UTCDateTime, WorkspaceContext, WorkspaceMembership, upsert_insert
from enishi_assignment import staff
from enishi_assignment.models import Assignee, Notification

MAX_TEXT = 2000
# The variables a message may use; anything else in {{ }} is refused when the config is checked.
VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
VARIABLES = frozenset({"friend.display_name"})
NO_NAME = "(名前未設定)"


def unknown_variables(message: str) -> list[str]:
    return [m.group(1) for m in VARIABLE.finditer(message) if m.group(1) not in VARIABLES]


def render(message: str, friend: Friend) -> str:
    values = {"friend.display_name": friend.display_name or NO_NAME}
    return VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), message)[:MAX_TEXT]


def assignee_ids(ctx: WorkspaceContext, friend_id: int) -> Select[Any]:
    """The friend's assignee, if staff: zero or one user id."""
    return select(Assignee.user_id).where(
        Assignee.workspace_id == ctx.workspace_id,
        Assignee.friend_id == friend_id,
        staff.is_staff(ctx, Assignee.user_id),
    )


async def notify(
    ctx: WorkspaceContext,
    recipients: Select[Any],
    *,
    friend_id: int | None,
    text: str,
    source: str,
    idempotency_key: str,
) -> list[int]:
    """Write a notification for each staff member among ``recipients`` (a select of user ids) that has none with
    this key yet. Returns the user ids notified now; users who are not staff are skipped."""
    rows = (
        staff.staff_ids(ctx)
        .where(WorkspaceMembership.user_id.in_(recipients.scalar_subquery()))
        .add_columns(
            literal(ctx.workspace_id, BigId),
            literal(friend_id, BigId),
            literal(text[:MAX_TEXT], String(MAX_TEXT)),
            literal(source, String(32)),
            literal(idempotency_key, String(200)),
            literal(ctx.now, UTCDateTime()),
        )
    )
    stmt = (
        upsert_insert(ctx.session, Notification)
        .from_select(["user_id", "workspace_id", "friend_id", "text", "source", "idempotency_key", "created_at"], rows)
        .on_conflict_do_nothing(index_elements=["workspace_id", "user_id", "idempotency_key"])
        .returning(Notification.user_id)
    )
    return sorted(int(u) for u in await ctx.session.scalars(stmt))


def mine(ctx: WorkspaceContext, user_id: int) -> Select[Any]:
    return select(Notification).where(Notification.user_id == user_id)


async def page(
    ctx: WorkspaceContext, user_id: int, *, after: tuple[bool, int] | None, limit: int, unread_only: bool
) -> list[Notification]:
    """One page (``limit`` + 1 rows) of a staff member's notifications: unread first, newest first in each.

    The keyset is (read?, id): after an unread one come older unread ones and then every read one.
    """
    is_read = Notification.read_at.is_not(None)
    query = mine(ctx, user_id)
    if unread_only:
        query = query.where(~is_read)
    if after is not None:
        was_read, last_id = after
        if was_read:
            query = query.where(is_read, Notification.id < last_id)
        else:
            query = query.where(or_(is_read, and_(~is_read, Notification.id < last_id)))
    query = query.order_by(case((is_read, 1), else_=0), Notification.id.desc())
    return list(await ctx.session.scalars(query.limit(limit + 1)))


async def unread_count(ctx: WorkspaceContext, user_id: int) -> int:
    return int(
        await ctx.session.scalar(
            select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


async def missing(ctx: WorkspaceContext, user_id: int, ids: Sequence[int]) -> set[int]:
    """The ids that are not this staff member's notifications in this workspace."""
    wanted = set(ids)
    found = set(
        await ctx.session.scalars(
            select(Notification.id).where(Notification.user_id == user_id, Notification.id.in_(wanted))
        )
    )
    return wanted - found


async def mark_read(ctx: WorkspaceContext, user_id: int, ids: Sequence[int] | None) -> int:
    """Mark the staff member's notifications read (all of them when ``ids`` is None); ones already read keep
    their time. Returns how many became read."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(set(ids)))
    return max(int(cast(CursorResult[Any], await ctx.session.execute(stmt)).rowcount or 0), 0)
