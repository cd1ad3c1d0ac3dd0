"""The domain events this plugin announces, one per friend and tag that actually changed.

Data of both: ``{"tag_id": int, "source": str}``, where source says how it happened ("manual", "bulk",
"scenario", "route", …), so that a scenario started by a tag can tell a staff member's click from automation.
"""

from __future__ import annotations

from collections.abc import Iterable

from enishi import WorkspaceContext

TAG_ADDED = "tags.tag_added"
TAG_REMOVED = "tags.tag_removed"

# Above this many changed links a bulk operation announces nothing: each event runs every enabled plugin's
# handler in the request's transaction, and a million of them would hold that transaction for minutes.
EVENT_LIMIT = 1000


async def announce(ctx: WorkspaceContext, name: str, links: Iterable[tuple[int, int]], source: str) -> None:
    """Emit ``name`` for each (friend_id, tag_id) pair, in a stable order."""
    for friend_id, tag_id in sorted(links):
        await ctx.emit(name, friend_id, tag_id=tag_id, source=source)
