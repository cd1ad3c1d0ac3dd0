"""What ``enishi worker`` runs: an arq worker for the jobs of every loaded plugin and of the core plugin."""

from __future__ import annotations

import asyncio
import gc
from typing import TYPE_CHECKING

from enishi.jobs import NoRedisError

if TYPE_CHECKING:
    from enishi.settings import Settings


def run_worker(settings: Settings | None = None, *, burst: bool = False, queue_name: str | None = None) -> None:
    """What ``enishi worker`` does: run an arq worker for every loaded plugin's jobs until stopped.

    ``burst`` stops once the queue is empty. Blocks; SIGINT / SIGTERM stop it after the running jobs. Redis
    going away does not stop it: it waits for Redis to come back (see ``ResilientWorker``).
    """
    from enishi.composition import load_plugins
    from enishi.db.engine import Database
    from enishi.jobs.arq_queue import QUEUE_NAME, create_resilient_worker, worker_settings
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
        host = load_plugins(settings)
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
