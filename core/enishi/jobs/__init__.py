"""Background jobs: in-process on asyncio in embedded mode, arq workers through Redis otherwise.

The database is the source of truth for pending work; the queue only wakes whoever does it. Every job may run
twice, so jobs are idempotent.
"""

from __future__ import annotations

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
