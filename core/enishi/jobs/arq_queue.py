"""Scale-out mode: the web process enqueues through Redis with arq and ``enishi worker`` runs the jobs."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.cron import CronJob, cron
from arq.typing import WorkerCoroutine
from arq.worker import Function, func

from enishi.context import JobContext
from enishi.jobs.queue import JobError, ManagedQueue, check_request, find_job
from enishi.jobs.schedules import SCHEDULE_TIMEOUT, cron_spec
from enishi.types import JobType, Schedule

if TYPE_CHECKING:
    from enishi.db.engine import Database
    from enishi.plugin_host import PluginHost
    from enishi.registry import Registry
    from enishi.settings import Settings

log = logging.getLogger("enishi.jobs")

QUEUE_NAME = "enishi:queue"
# Cron job ids are unique per tick; a kept result stops a lagging worker from re-queuing a finished tick.
SCHEDULE_KEEP_RESULT = timedelta(minutes=1)


class ArqQueue(ManagedQueue):
    """Enqueues through Redis. Connects on first use unless handed a ``pool``, which it then leaves open."""

    def __init__(
        self,
        redis_url: str,
        registry: Registry | None = None,
        *,
        queue_name: str = QUEUE_NAME,
        pool: ArqRedis | None = None,
    ) -> None:
        self.redis_url = redis_url
        self.queue_name = queue_name
        self._registry = registry  # when given, unknown job names are refused here rather than by the worker
        self._pool = pool
        self._owns_pool = pool is None
        self._connecting = asyncio.Lock()

    async def start(self) -> None:
        """Connect now, so a wrong ENISHI_REDIS_URL fails at startup instead of on the first enqueue."""
        await self._redis()

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_until: datetime | None = None, **kwargs: Any
    ) -> bool:
        if self._registry is not None:
            find_job(self._registry, name)
        check_request(name, defer_until, kwargs)
        redis = await self._redis()
        job = await redis.enqueue_job(
            name, _job_id=job_id, _queue_name=self.queue_name, _defer_until=defer_until, **kwargs
        )
        return job is not None  # arq answers None while a job with this id is queued or running

    async def close(self) -> None:
        if self._pool is not None and self._owns_pool:
            await self._pool.aclose()
            self._pool = None

    async def _redis(self) -> ArqRedis:
        async with self._connecting:
            if self._pool is None:
                self._pool = await create_pool(
                    RedisSettings.from_dsn(self.redis_url), default_queue_name=self.queue_name
                )
            return self._pool


def worker_settings(
    settings: Settings, host: PluginHost, db: Database, *, queue_name: str = QUEUE_NAME
) -> dict[str, Any]:
    """arq worker settings for every registered JobType and Schedule (pass to ``arq.worker.create_worker``).

    Raises ScheduleError when a Schedule's ``every`` cannot be a cron entry (see enishi.jobs.schedules).
    """
    if settings.redis_url is None:
        raise JobError("arq workers need ENISHI_REDIS_URL")
    redis_url = settings.redis_url
    functions: list[Function] = []
    cron_jobs: list[CronJob] = []
    for entry in host.registry.all("jobs"):
        if isinstance(entry.item, JobType):
            # No kept result: once a job finished, its id may be queued again, as in embedded mode.
            functions.append(func(_job_runner(entry.item), name=entry.key, timeout=entry.item.timeout, keep_result=0))
        elif isinstance(entry.item, Schedule):
            cron_jobs.append(
                cron(
                    _schedule_runner(entry.item),
                    name=entry.key,
                    timeout=SCHEDULE_TIMEOUT,
                    keep_result=SCHEDULE_KEEP_RESULT.total_seconds(),
                    **cron_spec(entry.key, entry.item.every).as_kwargs(),
                )
            )

    async def on_startup(ctx: dict[str, Any]) -> None:
        # Jobs enqueue follow-up work through the worker's own Redis connection.
        jobs = ArqQueue(redis_url, host.registry, queue_name=queue_name, pool=ctx["redis"])
        ctx["enishi"] = JobContext(settings=settings, db=db, host=host, jobs=jobs)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        context = ctx.get("enishi")
        if context is not None:
            await context.jobs.close()
        from enishi.line.gateway import close_gateways  # lazily: the job system does not depend on LINE

        await close_gateways()
        await db.dispose()

    return {
        "functions": functions,
        "cron_jobs": cron_jobs,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "redis_settings": RedisSettings.from_dsn(redis_url),
        "queue_name": queue_name,
        "timezone": UTC,  # the cron grid is in UTC, the same grid the in-process runner uses
        "keep_result": 0,
    }


def _job_runner(job: JobType) -> WorkerCoroutine:
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        return await job.fn(ctx["enishi"], *args, **kwargs)

    return run


def _schedule_runner(schedule: Schedule) -> WorkerCoroutine:
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> None:
        # The return value is dropped: arq would pickle it into the kept result.
        await schedule.fn(ctx["enishi"])

    return run
