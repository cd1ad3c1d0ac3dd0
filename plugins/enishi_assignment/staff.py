"""Who is staff of the workspace: a user with a membership in it (the workspace's staff list) whose account is
active. Agency-wide members see every workspace of the agency but are not anyone's 担当者 until they are added to
the workspace's staff.

Everything here is SQL, so a condition, a list and a count all apply the same rule: an assignee who is no longer
staff reads as "unassigned".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, select

from enishi import User, WorkspaceContext, WorkspaceMembership


def staff_ids(ctx: WorkspaceContext) -> Select[Any]:
    """The user ids of the workspace's active staff. Names the workspace itself, so it is right in any session
    (also inside an INSERT … SELECT, which scoping does not reach)."""
    return (
        select(WorkspaceMembership.user_id)
        .join(User, User.id == WorkspaceMembership.user_id)
        .where(WorkspaceMembership.workspace_id == ctx.workspace_id, User.is_active.is_(True))
    )


def is_staff(ctx: WorkspaceContext, user_id: Any) -> ColumnElement[bool]:
    """``user_id`` (a column or expression) is one of the workspace's active staff."""
    return cast(ColumnElement[bool], user_id.in_(staff_ids(ctx).scalar_subquery()))


async def non_staff(ctx: WorkspaceContext, user_ids: Sequence[int]) -> set[int]:
    """The ids among ``user_ids`` that are not active staff of this workspace (unknown users included)."""
    wanted = set(user_ids)
    if not wanted:
        return set()
    found = set(await ctx.session.scalars(staff_ids(ctx).where(WorkspaceMembership.user_id.in_(wanted))))
    return wanted - found


async def staff_list(ctx: WorkspaceContext) -> list[tuple[int, str]]:
    """(user id, display name) of every active staff member, in staff-list order."""
    rows = await ctx.session.execute(
        select(User.id, User.display_name)
        .join(WorkspaceMembership, WorkspaceMembership.user_id == User.id)
        .where(WorkspaceMembership.workspace_id == ctx.workspace_id, User.is_active.is_(True))
        .order_by(WorkspaceMembership.id)
    )
    return [(int(user_id), name) for user_id, name in rows]


async def names_of(ctx: WorkspaceContext, user_ids: Sequence[int]) -> dict[int, str]:
    """Display names of any users (staff or former staff), e.g. for a friend's assignment history."""
    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return {}
    rows = await ctx.session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {int(user_id): name for user_id, name in rows}
