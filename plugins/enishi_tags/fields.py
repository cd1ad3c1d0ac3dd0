"""A friend's tags as typed friend data: on the profile, in friend lists and as a message variable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from enishi import FriendFieldDescriptor, FriendFieldSource, Text, WorkspaceContext
from enishi_tags import service

TAGS_FIELD = FriendFieldDescriptor(
    key="tags",
    label=Text("タグ", "Tags"),
    value_schema={"type": "array", "items": {"type": "string"}},
)


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    return [TAGS_FIELD]


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    """Tag names of a page of friends in one query, in tag-list order; friends without tags are left out."""
    if TAGS_FIELD.key not in keys:
        return {}
    names = await service.tag_names_of(ctx, friend_ids)
    return {friend_id: {TAGS_FIELD.key: tags} for friend_id, tags in names.items()}


tags_field = FriendFieldSource(name="tags", label=Text("タグ", "Tags"), describe=describe, load=load)
