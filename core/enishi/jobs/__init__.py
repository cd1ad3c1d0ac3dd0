"""Background jobs: in-process on asyncio in embedded mode, arq workers through Redis otherwise.

The database is the source of truth for pending work; the queue only wakes whoever does it. Every job may run
twice, so jobs are idempotent.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from enishi.jobs.arq_queue import QUEUE_NAME, ArqQueue, worker_settings
from enishi.jobs.inprocess import InProcessQueue
from enishi.jobs.queue import JobError, JobQueue, ManagedQueue, UnknownJobError
from enishi.jobs.schedules import ScheduleError

if TYPE_CHECKING:
    from enishi.db.engine import Database
    from enishi.plugin_host import PluginHost
    from enishi.settings import Settings

__all__ = [
    "QUEUE_NAME",
    "ArqQueue",
    "InProcessQueue",
    "JobError",
    "JobQueue",
    "ManagedQueue",
    "NoRedisError",
    "ScheduleError",
    "UnknownJobError",
    "make_queue",
    "run_worker",
    "worker_settings",
]


class NoRedisError(JobError):
    """``enishi worker`` was started without ENISHI_REDIS_URL."""


def make_queue(settings: Settings, host: PluginHost, db: Database) -> ManagedQueue:
    """The queue for this deployment; the caller awaits ``start()`` at startup and ``close()`` at shutdown."""
    if settings.redis_url is None:
        return InProcessQueue(settings, host, db)
    return ArqQueue(settings.redis_url, host.registry)


def run_worker(settings: Settings | None = None, *, burst: bool = False, queue_name: str = QUEUE_NAME) -> None:
    """What ``enishi worker`` does: run an arq worker for every loaded plugin's jobs until stopped.

    ``burst`` stops once the queue is empty. Blocks; SIGINT / SIGTERM stop it after the running jobs.
    """
    from arq.worker import run_worker as run_arq_worker

    from enishi.db.engine import Database
    from enishi.plugin_host import discover
    from enishi.settings import load_settings

    if settings is None:
        settings = load_settings()
    if settings.redis_url is None:
        raise NoRedisError(
            "enishi worker needs ENISHI_REDIS_URL (e.g. redis://localhost:6379/0). Without it Enishi runs "
            "jobs inside the web process (embedded mode), so no worker is needed."
        )
    db = Database(settings.database_url)
    host = discover(settings)
    # arq's Worker takes the current event loop; give it a fresh one rather than a deprecated implicit one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        run_arq_worker(worker_settings(settings, host, db, queue_name=queue_name), burst=burst)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
