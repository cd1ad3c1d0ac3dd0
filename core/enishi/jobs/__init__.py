"""Background jobs: in-process on asyncio in embedded mode, arq workers through Redis otherwise.

The database is the source of truth for pending work; the queue only wakes whoever does it. Every job may run
twice, so jobs are idempotent.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
from typing import TYPE_CHECKING, Any

from enishi.jobs.queue import JobError, JobQueue, ManagedQueue, QueueUnavailable, UnknownJobError
from enishi.jobs.schedules import ScheduleError

if TYPE_CHECKING:
    from enishi.db.engine import Database
    from enishi.jobs.arq_queue import QUEUE_NAME, ArqQueue, worker_settings
    from enishi.jobs.inprocess import InProcessQueue
    from enishi.plugin_host import PluginHost
    from enishi.settings import Settings

# Each runner on first use: an embedded web process never loads arq and redis, and a worker never loads the
# in-process runner. (Importing them here would also close an import cycle through enishi.context.)
_LAZY = {
    "QUEUE_NAME": "enishi.jobs.arq_queue",
    "ArqQueue": "enishi.jobs.arq_queue",
    "worker_settings": "enishi.jobs.arq_queue",
    "InProcessQueue": "enishi.jobs.inprocess",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'enishi.jobs' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "QUEUE_NAME",
    "ArqQueue",
    "InProcessQueue",
    "JobError",
    "JobQueue",
    "ManagedQueue",
    "NoRedisError",
    "QueueUnavailable",
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
        from enishi.jobs.inprocess import InProcessQueue

        return InProcessQueue(settings, host, db)
    from enishi.jobs.arq_queue import ArqQueue

    return ArqQueue(settings.redis_url, host.registry)


def run_worker(settings: Settings | None = None, *, burst: bool = False, queue_name: str | None = None) -> None:
    """What ``enishi worker`` does: run an arq worker for every loaded plugin's jobs until stopped.

    ``burst`` stops once the queue is empty. Blocks; SIGINT / SIGTERM stop it after the running jobs. Redis
    going away does not stop it: it waits for Redis to come back (see ``ResilientWorker``).
    """
    from enishi.db.engine import Database
    from enishi.jobs.arq_queue import QUEUE_NAME, create_resilient_worker, worker_settings
    from enishi.plugin_host import discover
    from enishi.settings import load_settings

    if settings is None:
        settings = load_settings()
    if settings.redis_url is None:
        raise NoRedisError(
            "enishi worker needs ENISHI_REDIS_URL (e.g. redis://localhost:6379/0). Without it Enishi runs "
            "jobs inside the web process (embedded mode), so no worker is needed."
        )
    # Loading every plugin makes objects that live as long as the worker: no collector passes over them while
    # they are made, one afterwards, and then they are left out of every later one.
    gc.disable()
    try:
        db = Database(settings.database_url)
        host = discover(settings)
        ws = worker_settings(settings, host, db, queue_name=queue_name or QUEUE_NAME)
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()
    # arq's Worker takes the current event loop; give it a fresh one rather than a deprecated implicit one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        create_resilient_worker(ws, burst=burst).run()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
