"""What a runtime hook, action, condition, report or job is handed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from enishi.db.base import utcnow

if TYPE_CHECKING:
    from enishi.db.engine import Database
    from enishi.jobs.queue import JobQueue
    from enishi.plugin_host import PluginHost
    from enishi.settings import Settings


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

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def settings_of(self, plugin: str) -> dict[str, Any]:
        return self.plugin_settings.get(plugin, {})


@dataclass(kw_only=True)
class ActionContext(WorkspaceContext):
    """An action run: ``idempotency_key`` is stable across retries of the same step, for deduplicating sends."""

    idempotency_key: str
    source: str = "manual"  # "scenario", "bulk", "manual", "route", …


@dataclass(kw_only=True)
class JobContext:
    settings: Settings
    db: Database
    host: PluginHost
    jobs: JobQueue
