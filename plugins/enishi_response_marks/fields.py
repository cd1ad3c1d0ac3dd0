"""A friend's current mark as typed friend data: on the profile, as a friend-list column and for sorting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select

from enishi import Friend, FriendFieldDescriptor, FriendFieldSource, Text, WorkspaceContext
from enishi_response_marks import service
from enishi_response_marks.models import FriendMark, Mark

# Friends without a mark sort after every mark, on both databases (they order NULLs differently).
UNMARKED_LAST = 2**31 - 1

MARK_FIELD = FriendFieldDescriptor(
    key="mark",
    label=Text("対応マーク", "Response mark"),
    value_schema={
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "label": {"type": "string"},
            "color": {"type": "string", "pattern": "^#[0-9a-f]{6}$"},
        },
        "required": ["id", "label", "color"],
    },
    sortable=True,
)


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    return [MARK_FIELD]


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    """The marks of a page of friends in one query; friends without a mark are left out."""
    if MARK_FIELD.key not in keys:
        return {}
    found = await service.current_marks(ctx, friend_ids)
    return {
        friend_id: {MARK_FIELD.key: {"id": mark.id, "label": mark.label, "color": mark.color}}
        for friend_id, (mark, _) in found.items()
    }


def column(ctx: WorkspaceContext, key: str) -> ColumnElement[Any]:
    """The position of the friend's mark in the mark list (the order staff gave the marks, e.g. 要対応 first),
    unmarked friends last: sorting a friend list by it groups friends by mark in that order."""
    if key != MARK_FIELD.key:
        raise KeyError(key)
    position = (
        select(Mark.sort_order)
        .join(FriendMark, FriendMark.mark_id == Mark.id)
        .where(FriendMark.friend_id == Friend.id)
        .correlate(Friend)
        .scalar_subquery()
    )
    return func.coalesce(position, UNMARKED_LAST).label("response_marks_mark")


mark_field = FriendFieldSource(
    name="mark", label=Text("対応マーク", "Response mark"), describe=describe, load=load, column=column
)
