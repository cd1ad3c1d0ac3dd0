"""The core's own jobs, registered under the reserved plugin name ``core``."""

from __future__ import annotations

import logging
from datetime import timedelta

from enishi.auth.service import purge_expired
from enishi.context import JobContext
from enishi.db.statistics import analyze_table
from enishi.registry import CORE, Registered, Registry
from enishi.types import JobType, Schedule

log = logging.getLogger("enishi.jobs")


async def purge_sessions(ctx: JobContext) -> int:
    """Delete expired staff sessions and stale login attempts; safe to run any number of times."""
    async with ctx.db.transaction() as session:
        removed = await purge_expired(session, ctx.settings.login_window_seconds)
    log.info("purged %d expired session(s) and login attempt(s)", removed)
    return removed


CORE_JOBS: tuple[JobType | Schedule, ...] = (
    JobType(name="analyze_table", fn=analyze_table, timeout=timedelta(minutes=10)),
    Schedule(name="purge_sessions", fn=purge_sessions, every=timedelta(minutes=10)),
    JobType(name="purge_sessions_now", fn=purge_sessions, timeout=timedelta(minutes=5)),
)


def register_core_jobs(registry: Registry) -> None:
    from enishi.version import CORE_API_VERSION

    for job in CORE_JOBS:
        registry.add(
            "jobs",
            Registered(key=f"{CORE}.{job.name}", plugin=CORE, plugin_version=CORE_API_VERSION, item=job),
        )
