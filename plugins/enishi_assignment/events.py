"""The domain event this plugin announces, once per friend whose assignee changed.

``assignment.assigned`` with data ``{"from_user_id": int | None, "to_user_id": int | None, "source": str}``:
``to_user_id`` is None when the friend was unassigned; ``source`` says how it happened ("manual", "bulk",
"scenario", …) so that a scenario can tell a staff member's choice from automation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from enishi import DomainEvent, EventType, Text, WorkspaceContext, utcnow

ASSIGNED = "assignment.assigned"


class AssignedData(TypedDict):
    from_user_id: int | None  # None: nobody was assigned
    to_user_id: int | None  # None: the friend was unassigned
    source: str  # "manual", "bulk", "scenario", …


EVENTS = (
    EventType(
        name="assigned",
        description=Text("友だちの担当者が変わった", "A friend's assignee changed"),
        data=AssignedData,
    ),
)

# Above this many changed friends a bulk change announces nothing: each event runs every enabled plugin's handler
# in the request's transaction, and a million of them would hold that transaction for minutes.
EVENT_LIMIT = 1000


async def announce(ctx: WorkspaceContext, changes: Iterable[tuple[int, int | None, int | None]], source: str) -> None:
    """Emit ``assignment.assigned`` for each (friend_id, from_user_id, to_user_id), by friend id."""
    at = utcnow()
    await ctx.emit_events(
        [
            DomainEvent(ASSIGNED, ctx.workspace_id, f, at, {"from_user_id": a, "to_user_id": b, "source": source})
            for f, a, b in sorted(changes, key=lambda c: c[0])
        ]
    )
