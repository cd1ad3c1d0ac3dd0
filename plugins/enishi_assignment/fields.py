"""A friend's assignee as typed friend data: on the profile, in friend lists (sortable by name) and as a
message variable. A former staff member's friends show no assignee."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from enishi import Friend, FriendFieldDescriptor, FriendFieldSource, Text, User, WorkspaceContext
from enishi_assignment import staff
from enishi_assignment.models import Assignee

ASSIGNEE_FIELD = FriendFieldDescriptor(
    key="assignee",
    label=Text("担当者", "Assignee"),
    value_schema={
        "type": "object",
        "properties": {"user_id": {"type": "integer"}, "display_name": {"type": "string"}},
        "required": ["user_id", "display_name"],
        "additionalProperties": False,
    },
    sortable=True,
)


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    return [ASSIGNEE_FIELD]


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    """Assignees of a page of friends in one query; friends with nobody are left out."""
    if ASSIGNEE_FIELD.key not in keys or not friend_ids:
        return {}
    rows = await ctx.session.execute(
        select(Assignee.friend_id, User.id, User.display_name)
        .join(User, User.id == Assignee.user_id)
        .where(Assignee.friend_id.in_(set(friend_ids)), staff.is_staff(ctx, Assignee.user_id))
    )
    return {
        int(friend_id): {ASSIGNEE_FIELD.key: {"user_id": int(user_id), "display_name": name}}
        for friend_id, user_id, name in rows
    }


def column(ctx: WorkspaceContext, key: str) -> ColumnElement[Any]:
    """The assignee's display name per friend row (NULL with nobody), for sorting friend lists by assignee."""
    if key != ASSIGNEE_FIELD.key:
        raise KeyError(key)
    return (
        select(User.display_name)
        .join(Assignee, Assignee.user_id == User.id)
        .where(Assignee.friend_id == Friend.id, staff.is_staff(ctx, Assignee.user_id))
        .correlate(Friend)
        .scalar_subquery()
        .label("assignment_assignee")
    )


assignee_field = FriendFieldSource(
    name="assignee", label=Text("担当者", "Assignee"), describe=describe, load=load, column=column
)
