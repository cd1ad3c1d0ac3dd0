"""What a runtime hook, action, condition, report or job is handed."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from enishi.db.base import utcnow

# Imported at run time (not only for type checking): Litestar resolves these annotations when injecting.
from enishi.db.engine import Database
from enishi.jobs.queue import JobQueue
from enishi.plugin_host import PluginHost
from enishi.settings import Settings
from enishi.types import DomainEvent

C = TypeVar("C", bound="WorkspaceContext")


@dataclass(kw_only=True)
class WorkspaceContext:
    """One workspace's view of Enishi. ``session`` is scoped to the workspace (see enishi.db.scoping)."""

    workspace_id: int
    session: AsyncSession
    host: PluginHost
    settings: Settings
    jobs: JobQueue | None
    enabled_plugins: frozenset[str]
    timezone: str = "Asia/Tokyo"
    actor_user_id: int | None = None
    now: datetime = field(default_factory=utcnow)
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Lookups that stay true for this context's transaction (e.g. which scenarios an event starts), so a bulk
    # change announcing a thousand events asks once, not a thousand times.
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def settings_of(self, plugin: str) -> dict[str, Any]:
        return self.plugin_settings.get(plugin, {})

    def as_(self, kind: type[C], **extra: Any) -> C:
        """This context as a more specific one (an action's, a bulk action's): same session, memo and the rest."""
        shared = {f.name: getattr(self, f.name) for f in dataclasses.fields(WorkspaceContext)}
        return kind(**shared, **extra)

    async def emit(self, name: str, friend_id: int | None, /, **data: Any) -> DomainEvent:
        """Announce a domain event (e.g. ``tags.tag_added``) to the enabled plugins and the scenario engine.

        Handlers run in this context's session and transaction, so what they record (e.g. a scenario run to
        start) commits or rolls back together with the change that caused the event.
        """
        event = DomainEvent(
            name=name, workspace_id=self.workspace_id, friend_id=friend_id, occurred_at=utcnow(), data=data
        )
        await self.emit_events([event])
        return event

    async def emit_many(self, name: str, friend_ids: Sequence[int], /, **data: Any) -> list[DomainEvent]:
        """The same event for a set of friends (a bulk change), announced as one batch: handlers and the scenario
        engine take the set at once (one statement per scenario), not one friend at a time."""
        at = utcnow()
        events = [
            DomainEvent(name=name, workspace_id=self.workspace_id, friend_id=f, occurred_at=at, data=data)
            for f in friend_ids
        ]
        await self.emit_events(events)
        return events

    async def emit_events(self, events: Sequence[DomainEvent]) -> None:
        """Announce events, in order: ``enishi_domain_events`` once with the batch, ``enishi_domain_event`` once per
        event (for plugins that handle one at a time), then the ``trylast`` implementations of
        ``enishi_domain_events``, the last of which is the core plugin's: the scenario engine, with the batch."""
        if not events:
            return
        await self.host.call("enishi_domain_events", self.enabled_plugins, trylast=False, ctx=self, events=events)
        if self.host.implements("enishi_domain_event", self.enabled_plugins):
            for event in events:
                await self.host.call("enishi_domain_event", self.enabled_plugins, ctx=self, event=event)
        await self.host.call("enishi_domain_events", self.enabled_plugins, trylast=True, ctx=self, events=events)


@dataclass(kw_only=True)
class ActionContext(WorkspaceContext):
    """An action run: ``idempotency_key`` is stable across retries of the same step, for deduplicating sends."""

    idempotency_key: str
    source: str = "manual"  # "scenario", "bulk", "manual", "route", …


@dataclass(kw_only=True)
class BulkActionContext(WorkspaceContext):
    """An action applied to a set of friends at once: a batch of scenario runs at one node, or a bulk operation.

    ``idempotency_keys`` (scenario steps) gives each friend's key, stable across retries of the batch, for
    deduplicating what the action records per friend (a send); bulk operations have none.
    """

    source: str = "bulk"
    idempotency_keys: Mapping[int, str] | None = None

    def key_for(self, friend_id: int) -> str:
        """The friend's idempotency key; an action that records something once per friend needs one."""
        if self.idempotency_keys is None:
            raise ValueError("this bulk action needs an idempotency key per friend (a scenario step has them)")
        return self.idempotency_keys[friend_id]


@dataclass(kw_only=True)
class JobContext:
    settings: Settings
    db: Database
    host: PluginHost
    jobs: JobQueue
