"""Request and response bodies. msgspec checks types and constraints before a handler runs (bad input → 400
with the field's path); handlers check what needs the database (unknown ids → 422, duplicate labels → 409)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from enishi_response_marks.models import LABEL_MAX, AutoRule, FriendMark, Mark, MarkChange, MessageMark
from enishi_response_marks.service import MarkCounts

MAX_BULK_FRIENDS = 10_000  # a page of search results at a time; whole segments go through the set_mark action
MAX_MARKS_LISTED = 1_000
DEFAULT_COLOR = "#9e9e9e"

Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
# At least one visible character; surrounding spaces are trimmed before saving.
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=LABEL_MAX, pattern=r"\S")]
Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")]
SortOrder = Annotated[int, msgspec.Meta(ge=-1_000_000, le=1_000_000)]
Mode = Literal["if_none", "always"]


class MarkIn(msgspec.Struct, forbid_unknown_fields=True):
    label: Label
    color: Color = DEFAULT_COLOR
    sort_order: SortOrder | None = None  # None: after the last mark


class MarkPatch(msgspec.Struct, forbid_unknown_fields=True):
    label: Label | msgspec.UnsetType = msgspec.UNSET
    color: Color | msgspec.UnsetType = msgspec.UNSET
    sort_order: SortOrder | msgspec.UnsetType = msgspec.UNSET


class MarkOut(msgspec.Struct):
    id: int
    label: str
    color: str
    sort_order: int
    friend_count: int
    message_count: int
    created_at: datetime


class MarkBrief(msgspec.Struct):
    id: int
    label: str
    color: str


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    mark_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_MARKS_LISTED)]


class MarkIdIn(msgspec.Struct, forbid_unknown_fields=True):
    """``mark_id`` must be given; null takes the mark off."""

    mark_id: Id | None


class FriendMarkOut(msgspec.Struct):
    friend_id: int
    mark: MarkBrief | None
    set_at: datetime | None
    set_by_user_id: int | None
    source: str | None


class SetOut(msgspec.Struct):
    friend_id: int
    mark_id: int | None
    changed: bool  # false when the friend already had that mark (or none, for a clear)


class BulkIn(msgspec.Struct, forbid_unknown_fields=True):
    friend_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_BULK_FRIENDS)]
    mark_id: Id | None


class BulkOut(msgspec.Struct):
    mark_id: int | None
    changed: int  # friends whose mark changed; friends already as asked are not counted
    events_emitted: bool  # false when more than EVENT_LIMIT changed: mark triggers did not fire


class DeleteOut(msgspec.Struct):
    deleted: int
    reassigned_to: int | None
    friends_changed: int
    events_emitted: bool


class HistoryOut(msgspec.Struct):
    id: int
    friend_id: int
    from_mark_id: int | None
    from_label: str | None
    to_mark_id: int | None
    to_label: str | None
    source: str
    user_id: int | None
    changed_at: datetime


class MarkedFriendOut(msgspec.Struct):
    friend_id: int
    display_name: str
    picture_url: str | None
    status: str
    mark: MarkBrief
    set_at: datetime
    set_by_user_id: int | None
    source: str


class MessageMarkOut(msgspec.Struct):
    message_id: int
    friend_id: int
    kind: str
    text: str | None
    occurred_at: datetime
    mark: MarkBrief | None
    set_at: datetime | None
    set_by_user_id: int | None


class MessageSetOut(msgspec.Struct):
    message_id: int
    mark_id: int | None
    changed: bool


class RulePatch(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    mark_id: Id | msgspec.UnsetType = msgspec.UNSET
    mode: Mode | msgspec.UnsetType = msgspec.UNSET
    mark_message: bool | msgspec.UnsetType = msgspec.UNSET


class RuleOut(msgspec.Struct):
    enabled: bool
    mark: MarkBrief | None
    mode: str  # if_none: only friends without a mark · always: whatever mark they have
    mark_message: bool  # also put the mark on the message that arrived
    updated_at: datetime | None


def brief(mark: Mark) -> MarkBrief:
    return MarkBrief(mark.id, mark.label, mark.color)


def mark_out(counted: MarkCounts) -> MarkOut:
    m = counted.mark
    return MarkOut(m.id, m.label, m.color, m.sort_order, counted.friends, counted.messages, m.created_at)


def friend_mark_out(friend_id: int, found: tuple[Mark, FriendMark] | None) -> FriendMarkOut:
    if found is None:
        return FriendMarkOut(friend_id, None, None, None, None)
    mark, link = found
    return FriendMarkOut(friend_id, brief(mark), link.set_at, link.set_by_user_id, link.source)


def history_out(h: MarkChange) -> HistoryOut:
    return HistoryOut(
        h.id, h.friend_id, h.from_mark_id, h.from_label, h.to_mark_id, h.to_label, h.source, h.user_id, h.changed_at
    )


def rule_out(rule: AutoRule | None, mark: Mark | None) -> RuleOut:
    if rule is None:
        return RuleOut(False, None, "if_none", False, None)
    return RuleOut(rule.enabled, brief(mark) if mark else None, rule.mode, rule.mark_message, rule.updated_at)


def message_mark_out(
    message_id: int,
    friend_id: int,
    kind: str,
    text: str | None,
    occurred_at: datetime,
    found: tuple[Mark, MessageMark] | None,
) -> MessageMarkOut:
    if found is None:
        return MessageMarkOut(message_id, friend_id, kind, text, occurred_at, None, None, None)
    mark, link = found
    return MessageMarkOut(message_id, friend_id, kind, text, occurred_at, brief(mark), link.set_at, link.set_by_user_id)
