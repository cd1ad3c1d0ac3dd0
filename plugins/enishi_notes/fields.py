"""Notes as friend data: the newest note's beginning, when it was written and how many notes a friend has —
for friend lists (sortable) and message variables ({{notes.latest}}, {{notes.count}})."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from enishi import Friend, FriendFieldDescriptor, FriendFieldSource, Text, WorkspaceContext
from enishi_notes import service
from enishi_notes.models import Note
from enishi_notes.text import snippet

LATEST_LENGTH = 100

DESCRIPTORS = (
    FriendFieldDescriptor(
        key="latest",
        label=Text("最新のメモ", "Latest note"),
        value_schema={"type": "string", "maxLength": LATEST_LENGTH + 1},
    ),
    FriendFieldDescriptor(
        key="latest_at",
        label=Text("最新のメモの日時", "Latest note written at"),
        value_schema={"type": "string", "format": "date-time"},
        sortable=True,
    ),
    FriendFieldDescriptor(
        key="count",
        label=Text("メモの件数", "Number of notes"),
        value_schema={"type": "integer", "minimum": 0},
        sortable=True,
    ),
)
KEYS = frozenset(d.key for d in DESCRIPTORS)


async def describe(ctx: WorkspaceContext) -> Sequence[FriendFieldDescriptor]:
    return DESCRIPTORS


async def load(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str]
) -> Mapping[int, Mapping[str, Any]]:
    """For a page of friends in one query; friends without notes are left out (count 0 is no value)."""
    wanted = KEYS.intersection(keys)
    if not wanted:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for friend_id, latest in (await service.latest_of(ctx, friend_ids)).items():
        values = {
            "latest": snippet(latest.body, None, LATEST_LENGTH),
            "latest_at": latest.at.isoformat(),
            "count": latest.count,
        }
        out[friend_id] = {k: v for k, v in values.items() if k in wanted}
    return out


def column(ctx: WorkspaceContext, key: str) -> ColumnElement[Any]:
    """A scalar subquery per friend row, for sorting friend lists by their notes."""
    live = (Note.friend_id == Friend.id, Note.deleted_at.is_(None))
    query: Select[Any]
    if key == "count":
        query = select(func.count()).where(*live)
    elif key == "latest_at":
        query = select(func.max(Note.created_at)).where(*live)
    elif key == "latest":
        query = select(Note.body).where(*live).order_by(Note.id.desc()).limit(1)
    else:
        raise KeyError(key)
    return query.correlate(Friend).scalar_subquery().label(f"notes_{key}")


latest_source = FriendFieldSource(
    name="latest",
    label=Text("個別メモ", "Notes"),
    describe=describe,
    load=load,
    column=column,
)
