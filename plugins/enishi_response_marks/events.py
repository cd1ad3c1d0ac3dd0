"""The one domain event this plugin announces: a friend's mark really changed (never for a repeat).

``response_marks.mark_changed`` with data ``{"from_mark_id": int | None, "to_mark_id": int | None, "source": str}``:
None means "no mark" (a mark set on an unmarked friend, or cleared). Source is how it happened: "manual" (one
friend, by staff), "bulk" (a list of friends, a segment, or a deleted mark's friends moved on), "scenario" or
"auto" (the rule on inbound messages).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from enishi import DomainEvent, EventType, Text, WorkspaceContext, utcnow

MARK_CHANGED = "response_marks.mark_changed"


class MarkChangedData(TypedDict):
    from_mark_id: int | None  # None: the friend had no mark
    to_mark_id: int | None  # None: the mark was cleared
    source: str  # "manual", "bulk", "scenario" or "auto"


EVENTS = (
    EventType(
        name="mark_changed",
        description=Text("友だちの対応マークが変わった", "A friend's response mark changed"),
        data=MarkChangedData,
    ),
)

# Above this many changed friends a bulk change announces nothing: each event runs every enabled plugin's
# handler in the request's transaction, and a million of them would hold that transaction for minutes.
EVENT_LIMIT = 1000


async def announce(
    ctx: WorkspaceContext, changes: Iterable[tuple[int, int | None]], to_mark_id: int | None, source: str
) -> None:
    """Emit ``mark_changed`` for each (friend_id, from_mark_id), in friend order."""
    at = utcnow()
    data = {"to_mark_id": to_mark_id, "source": source}
    await ctx.emit_events(
        [
            DomainEvent(MARK_CHANGED, ctx.workspace_id, friend_id, at, {"from_mark_id": from_mark_id, **data})
            for friend_id, from_mark_id in sorted(changes, key=lambda c: c[0])
        ]
    )
