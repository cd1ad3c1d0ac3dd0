"""A friend's tags as typed friend data: on the profile, in friend lists and as a message variable.

Besides the list of tag names (``tags``), each pinned tag is a yes/no column ``tag_<id>`` that friend lists show
by default and can sort by (friends with the tag first, or last).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from enishi import Friend, FriendFieldDescriptor, FriendFieldSource, Text, WorkspaceContext
from enishi_tags import service
from enishi_tags.models import FriendTag, Tag

TAGS_FIELD = FriendFieldDescriptor(
    key="tags",
    label=Text("タグ", "Tags"),
    value_schema={"type": "array", "items": {"type": "string"}},
)
TAG_KEY = re.compile(r"^tag_([1-9][0-9]{0,18})$")


def tag_key(tag_id: int) -> str:
    return f"tag_{tag_id}"


def tag_id_of(key: str) -> int | None:
    match = TAG_KEY.match(key)
    return int(match.group(1)) if match else None


def pinned_descriptor(tag: Tag) -> FriendFieldDescriptor:
    return FriendFieldDescriptor(
        key=tag_key(tag.id),
        label=Text(tag.name, tag.name),
        value_schema={"type": "boolean", "title": tag.name},
        sortable=True,
        shown_by_default=True,
    )


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    """The tag list, then one yes/no column per pinned tag in tag-list order."""
    pinned = await ctx.session.scalars(select(Tag).where(Tag.pinned.is_(True)).order_by(Tag.sort_order, Tag.id))
    return [TAGS_FIELD, *(pinned_descriptor(t) for t in pinned)]


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    """A page of friends in at most two queries: tag names (friends without tags are left out) and, for tag
    columns, true or false for every friend of the page."""
    out: dict[int, dict[str, Any]] = {}
    if TAGS_FIELD.key in keys:
        for friend_id, names in (await service.tag_names_of(ctx, friend_ids)).items():
            out.setdefault(friend_id, {})[TAGS_FIELD.key] = names
    columns = {tag_id: key for key in keys if (tag_id := tag_id_of(key)) is not None}
    if columns and friend_ids:
        rows = await ctx.session.execute(
            select(FriendTag.friend_id, FriendTag.tag_id).where(
                FriendTag.friend_id.in_(set(friend_ids)), FriendTag.tag_id.in_(columns)
            )
        )
        held = {(friend_id, tag_id) for friend_id, tag_id in rows}
        for friend_id in friend_ids:
            values = out.setdefault(friend_id, {})
            for tag_id, key in columns.items():
                values[key] = (friend_id, tag_id) in held
    return out


def column(ctx: WorkspaceContext, key: str) -> ColumnElement[Any]:
    """Whether the friend has the tag of a ``tag_<id>`` column, correlated with ``friends.id`` (primary key
    probe per friend)."""
    tag_id = tag_id_of(key)
    if tag_id is None:
        raise KeyError(key)
    return exists().where(FriendTag.friend_id == Friend.id, FriendTag.tag_id == tag_id).label(f"tags_{key}")


tags_field = FriendFieldSource(name="tags", label=Text("タグ", "Tags"), describe=describe, load=load, column=column)
