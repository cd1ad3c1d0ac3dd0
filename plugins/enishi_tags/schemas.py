"""Request and response bodies. msgspec checks types and constraints before a handler runs (bad input → 400
with the field's path); handlers check what needs the database (unknown ids → 422, duplicate names → 409)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from enishi_tags.models import DEFAULT_COLOR, FriendTag, Tag, TagFolder
from enishi_tags.service import TagCounts

MAX_BULK_FRIENDS = 10_000  # a page of search results at a time; whole segments go through the add_tag action
MAX_BULK_TAGS = 100

Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
# At least one visible character; surrounding spaces are trimmed before saving.
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")]
Description = Annotated[str, msgspec.Meta(max_length=1000)]
SortOrder = Annotated[int, msgspec.Meta(ge=-1_000_000, le=1_000_000)]


class FolderIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    sort_order: SortOrder = 0


class FolderPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    sort_order: SortOrder | msgspec.UnsetType = msgspec.UNSET


class FolderOut(msgspec.Struct):
    id: int
    name: str
    sort_order: int
    tag_count: int
    created_at: datetime


class TagIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    color: Color = DEFAULT_COLOR
    folder_id: Id | None = None
    description: Description = ""
    sort_order: SortOrder = 0
    pinned: bool = False  # shown as a column of the friend list


class TagPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    color: Color | msgspec.UnsetType = msgspec.UNSET
    folder_id: Id | msgspec.UnsetType | None = msgspec.UNSET  # null moves the tag out of its folder
    description: Description | msgspec.UnsetType = msgspec.UNSET
    sort_order: SortOrder | msgspec.UnsetType = msgspec.UNSET
    pinned: bool | msgspec.UnsetType = msgspec.UNSET


class TagOut(msgspec.Struct):
    id: int
    name: str
    color: str
    folder_id: int | None
    description: str
    sort_order: int
    pinned: bool
    created_at: datetime
    friend_count: int
    following_count: int  # friends with the tag who have not blocked the account


class FriendTagOut(msgspec.Struct):
    tag_id: int
    name: str
    color: str
    folder_id: int | None
    added_at: datetime
    added_by_user_id: int | None
    source: str


class AssignOut(msgspec.Struct):
    friend_id: int
    tag_id: int
    changed: bool  # false when the friend already had (or did not have) the tag


class BulkIn(msgspec.Struct, forbid_unknown_fields=True):
    tag_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_BULK_TAGS)]
    friend_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_BULK_FRIENDS)]
    op: Literal["add", "remove"]


class BulkOut(msgspec.Struct):
    op: str
    changed: int  # links added or removed; links that already were as asked are not counted
    friends: int  # friends who gained or lost at least one of the tags
    events_emitted: bool  # tag triggers saw the change (every change is announced, as sets of events)


def folder_out(folder: TagFolder, tag_count: int) -> FolderOut:
    return FolderOut(folder.id, folder.name, folder.sort_order, tag_count, folder.created_at)


def tag_out(counted: TagCounts) -> TagOut:
    t = counted.tag
    return TagOut(
        t.id,
        t.name,
        t.color,
        t.folder_id,
        t.description,
        t.sort_order,
        t.pinned,
        t.created_at,
        counted.friends,
        counted.following,
    )


def friend_tag_out(tag: Tag, link: FriendTag) -> FriendTagOut:
    return FriendTagOut(tag.id, tag.name, tag.color, tag.folder_id, link.added_at, link.added_by_user_id, link.source)
