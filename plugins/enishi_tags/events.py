"""The domain events this plugin announces, one per friend and tag that actually changed.

Data of both: ``{"tag_id": int, "source": str}``, where source says how it happened ("manual", "bulk",
"scenario", "route", …), so that a scenario started by a tag can tell a staff member's click from automation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TypedDict

from enishi import EventType, Text, WorkspaceContext

TAG_ADDED = "tags.tag_added"
TAG_REMOVED = "tags.tag_removed"


class TagChangedData(TypedDict):
    tag_id: int
    source: str  # "manual", "bulk", "scenario", "route", …


EVENTS = (
    EventType(
        name="tag_added",
        description=Text("友だちにタグが付いた", "A tag was added to a friend"),
        data=TagChangedData,
    ),
    EventType(
        name="tag_removed",
        description=Text("友だちからタグが外れた", "A tag was removed from a friend"),
        data=TagChangedData,
    ),
)


async def announce(ctx: WorkspaceContext, name: str, links: Iterable[tuple[int, int]], source: str) -> None:
    """Emit ``name`` for each (friend_id, tag_id) pair: one batch per tag, friends in id order, so a change to a
    thousand friends reaches the scenario engine as one set (its triggers matched once, its runs started with
    one INSERT)."""
    by_tag: dict[int, list[int]] = defaultdict(list)
    for friend_id, tag_id in sorted(links):
        by_tag[tag_id].append(friend_id)
    for tag_id, friend_ids in sorted(by_tag.items()):
        await ctx.emit_many(name, friend_ids, tag_id=tag_id, source=source)
