"""The birthday as typed friend data: on the profile, in message variables and as a sortable list column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from enishi import FriendFieldDescriptor, FriendFieldSource, Text, WorkspaceContext
from enishi.models.friends import Friend

from .models import Birthday

BIRTHDAY_FIELD = FriendFieldDescriptor(
    key="birthday",
    label=Text("誕生日", "Birthday"),
    value_schema={"type": "string", "format": "date"},
    sortable=True,
)


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    return [BIRTHDAY_FIELD]


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    """Birthdays of a page of friends in one query; friends without one are left out."""
    if BIRTHDAY_FIELD.key not in keys or not friend_ids:
        return {}
    rows = await ctx.session.execute(
        select(Birthday.friend_id, Birthday.birthday).where(Birthday.friend_id.in_(friend_ids))
    )
    return {friend_id: {BIRTHDAY_FIELD.key: day.isoformat()} for friend_id, day in rows}


def column(ctx: WorkspaceContext, key: str) -> ColumnElement[Any]:
    """A scalar subquery per friend row (NULL without a birthday), for sorting friend lists by birthday."""
    if key != BIRTHDAY_FIELD.key:
        raise KeyError(key)
    return (
        select(Birthday.birthday)
        .where(Birthday.friend_id == Friend.id)
        .correlate(Friend)
        .scalar_subquery()
        .label("birthday_birthday")
    )


birthday_field = FriendFieldSource(
    name="birthday",
    label=Text("誕生日", "Birthday"),
    describe=describe,
    load=load,
    column=column,
)
