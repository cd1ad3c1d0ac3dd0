"""The domain event this plugin announces: one per friend and field whose value actually changed.

``friend_fields.field_changed`` with data ``{"field_id": int, "key": str, "old": value | None, "new": value | None,
"source": str}``; ``None`` means empty. ``source`` says how it happened ("manual", "bulk", "scenario", …), so a
scenario started by a change can tell a staff member's edit from automation. Editing a field's definition
(removing an option with ``force``, deleting the field) changes values without events, like deleting a tag.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

from enishi import DomainEvent, EventType, Text, WorkspaceContext, utcnow

FIELD_CHANGED = "friend_fields.field_changed"


class FieldChangedData(TypedDict):
    field_id: int
    key: str  # the field's key
    old: Any  # the value before, as the field's API gives it; None when empty
    new: Any  # the value after; None when emptied
    source: str  # "manual", "bulk", "scenario", …


EVENTS = (
    EventType(
        name="field_changed",
        description=Text("友だち情報の値が変わった", "The value of a friend field changed"),
        data=FieldChangedData,
    ),
)

# Above this many changed values a bulk operation announces nothing: each event runs every enabled plugin's
# handler in the request's transaction, and a million of them would hold that transaction for minutes.
EVENT_LIMIT = 1000


async def announce(
    ctx: WorkspaceContext, field_id: int, key: str, changes: Iterable[tuple[int, Any, Any]], source: str
) -> None:
    """Emit one event per (friend_id, old, new), in friend order."""
    at = utcnow()
    await ctx.emit_events(
        [
            DomainEvent(
                FIELD_CHANGED,
                ctx.workspace_id,
                friend_id,
                at,
                {"field_id": field_id, "key": key, "old": old, "new": new, "source": source},
            )
            for friend_id, old, new in sorted(changes, key=lambda c: c[0])
        ]
    )
