"""Request and response bodies. msgspec checks types and constraints before a handler runs (bad input → 400
with the field's path); handlers check what needs the database (non-staff users, unknown ids → 422; taken pool
names → 409)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from enishi_assignment.pools import MAX_MEMBERS, MAX_WEIGHT

MAX_BULK_FRIENDS = 10_000  # a page of search results at a time; whole segments go through the assign action
MAX_READ_IDS = 1000

Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
Weight = Annotated[int, msgspec.Meta(ge=1, le=MAX_WEIGHT)]


class StaffRef(msgspec.Struct):
    user_id: int
    display_name: str


class StaffOut(msgspec.Struct):
    user_id: int
    display_name: str
    friend_count: int
    following_count: int  # of those, friends who have not blocked the account


class CountsOut(msgspec.Struct):
    staff: list[StaffOut]
    unassigned: int  # friends with nobody, including those whose assignee left the staff
    unassigned_following: int
    former_staff: int  # friends still held by someone who is no longer staff (they count as unassigned)


class AssignedFriendOut(msgspec.Struct):
    friend_id: int
    display_name: str
    status: str
    assigned_at: datetime | None
    source: str | None


class FriendAssigneeOut(msgspec.Struct):
    friend_id: int
    assignee: StaffRef | None  # None also when the assignee is no longer staff
    assigned_at: datetime | None
    assigned_by_user_id: int | None
    source: str | None


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of ``user_id`` (null unassigns) and ``pool_id`` (the pool's next staff member)."""

    user_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    pool_id: Id | msgspec.UnsetType = msgspec.UNSET
    keep_existing: bool = False  # leave friends who already have an assignee as they are


class ChangeOut(msgspec.Struct):
    friend_id: int
    user_id: int | None  # the assignee now
    changed: bool  # false when it already was so


class BulkIn(AssignIn, forbid_unknown_fields=True, kw_only=True):
    friend_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_BULK_FRIENDS)]


class BulkOut(msgspec.Struct):
    changed: int  # friends whose assignee changed; those already as asked are not counted
    events_emitted: bool  # false when more than EVENT_LIMIT changed: assignment triggers did not fire


class HistoryOut(msgspec.Struct):
    id: int
    from_user: StaffRef | None
    to_user: StaffRef | None
    changed_by: StaffRef | None  # None: automation (a scenario, a pool, …)
    source: str
    pool_id: int | None
    changed_at: datetime


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: Id
    weight: Weight = 1


Members = Annotated[list[MemberIn], msgspec.Meta(min_length=1, max_length=MAX_MEMBERS)]


class PoolIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    members: Members


class PoolPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    members: Members | msgspec.UnsetType = msgspec.UNSET  # replaces the whole list, in rotation order


class MemberOut(msgspec.Struct):
    user_id: int
    display_name: str
    weight: int
    is_staff: bool  # false: left the workspace, skipped by the rotation until back


class PoolOut(msgspec.Struct):
    id: int
    name: str
    members: list[MemberOut]
    turns: int  # friends assigned through the pool so far
    created_at: datetime
    updated_at: datetime


class NotificationOut(msgspec.Struct):
    id: int
    friend_id: int | None
    text: str
    source: str
    created_at: datetime
    read_at: datetime | None


class UnreadOut(msgspec.Struct):
    unread: int


class ReadIn(msgspec.Struct, forbid_unknown_fields=True):
    """Either ``ids`` or ``all: true``."""

    ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_READ_IDS)] | msgspec.UnsetType = msgspec.UNSET
    all: bool = False


class ReadOut(msgspec.Struct):
    marked: int  # notifications that became read; ones already read are not counted
    unread: int  # left unread
