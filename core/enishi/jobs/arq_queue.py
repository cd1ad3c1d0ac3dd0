"""Scale-out mode: the web process enqueues through Redis with arq and ``enishi worker`` runs the jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from arq.connections import ArqRedis, RedisSettings, create_pool, log_redis_info
from arq.constants import in_progress_key_prefix
from arq.cron import CronJob, cron
from arq.typing import WorkerCoroutine
from arq.utils import poll, timestamp_ms
from arq.worker import Function, Worker, func, get_kwargs
from redis.exceptions import ResponseError, WatchError

from enishi.jobs.outage import REDIS_DOWN, UNREACHABLE, outage_for
from enishi.jobs.queue import JobError, ManagedQueue, QueueUnavailable, check_request, find_job
from enishi.jobs.schedules import SCHEDULE_TIMEOUT, cron_spec
from enishi.settings import env_float, env_int
from enishi.types import JobType, Schedule

if TYPE_CHECKING:
    from enishi.db.engine import Database
    from enishi.plugin_host import PluginHost
    from enishi.registry import Registry
    from enishi.settings import Settings

log = logging.getLogger("enishi.jobs")
arq_log = logging.getLogger("arq.worker")

QUEUE_NAME = "enishi:queue"
# Cron job ids are unique per tick; a kept result stops a lagging worker from re-queuing a finished tick.
SCHEDULE_KEEP_RESULT = timedelta(minutes=1)
CONNECT_TIMEOUT = 2  # seconds; a Redis that is down refuses at once, one cut off by the network does not
CHECK_TIMEOUT = 2.0  # seconds the health endpoint waits for Redis to answer


class ArqQueue(ManagedQueue):
    """Enqueues through Redis. Connects on first use unless handed a ``pool``, which it then leaves open.

    While Redis is unreachable, ``enqueue`` raises QueueUnavailable at once instead of waiting on the network
    (after a backoff it tries again): the caller's work is in the database already, and the sweepers queue it.
    """

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
        self._settings = redis_settings(redis_url)  # a malformed URL fails here, at startup
        self._outage = outage_for(_where(self._settings))
        self._pool = pool
        self._owns_pool = pool is None
        self._connecting = asyncio.Lock()

    async def start(self) -> None:
        """Connect now if Redis is there; if it is not, the web process starts anyway (see ``check``)."""
        try:
            await self._redis()
        except REDIS_DOWN as exc:
            self._outage.failed(exc)

    async def check(self) -> dict[str, str]:
        if not self._outage.may_try():
            return {"redis": UNREACHABLE}
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await (await self._redis()).ping()
        except REDIS_DOWN as exc:
            self._outage.failed(exc)
            return {"redis": UNREACHABLE}
        self._outage.recovered()
        return {}

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_until: datetime | None = None, **kwargs: Any
    ) -> bool:
        if self._registry is not None:
            find_job(self._registry, name)
        check_request(name, defer_until, kwargs)
        if not self._outage.may_try():
            raise QueueUnavailable(f"{name}: {UNREACHABLE}")
        try:
            redis = await self._redis()
            job = await redis.enqueue_job(
                name, _job_id=job_id, _queue_name=self.queue_name, _defer_until=defer_until, **kwargs
            )
        except REDIS_DOWN as exc:
            self._outage.failed(exc)
            raise QueueUnavailable(f"{name}: {UNREACHABLE}") from exc
        self._outage.recovered()
        return job is not None  # arq answers None while a job with this id is queued or running

    async def close(self) -> None:
        if self._pool is not None and self._owns_pool:
            await self._pool.aclose()
            self._pool = None

    async def _redis(self) -> ArqRedis:
        async with self._connecting:
            if self._pool is None:
                self._pool = await create_pool(self._settings, default_queue_name=self.queue_name)
            return self._pool


def redis_settings(redis_url: str) -> RedisSettings:
    """arq's settings for ``redis_url``, failing fast: the callers retry with backoff themselves, while arq's own
    five retries a second apart would hold a request or a worker up for five seconds each time."""
    return replace(RedisSettings.from_dsn(redis_url), conn_retries=0, conn_timeout=CONNECT_TIMEOUT)


def _where(settings: RedisSettings) -> str:
    return f"{settings.host}:{settings.port}/{settings.database}"


class ResilientWorker(Worker):
    """An arq worker that outlives Redis: it waits for Redis at startup, and when Redis goes away it keeps its
    running jobs going, logs the outage once, tries again with backoff and carries on where it was.

    Jobs whose bookkeeping in Redis was lost with it are not lost work: their rows are in the database, and the
    schedules (sweepers) queue them again; every job is idempotent, so one that runs again does no harm.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outage = outage_for(_where(self.redis_settings) if self.redis_settings else "a given pool")

    async def main(self) -> None:
        # arq's main, with every use of Redis able to fail and be tried again
        while self._pool is None:
            try:
                self._pool = await create_pool(
                    self.redis_settings,
                    job_deserializer=self.job_deserializer,
                    job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name,
                    expires_extra_ms=self.expires_extra_ms,
                )
            except REDIS_DOWN as exc:
                await asyncio.sleep(self.outage.failed(exc))
        self.outage.recovered()
        log.info("worker started for %d job types and %d schedules", len(self.functions), len(self.cron_jobs))
        with contextlib.suppress(*REDIS_DOWN):  # arq's note of the Redis it uses; nothing depends on it
            await log_redis_info(self.pool, arq_log.info)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)

        async for _ in poll(self.poll_delay_s):
            try:
                await self._poll_iteration()
                if self.burst:
                    if 0 <= self.max_burst_jobs <= self._jobs_started():
                        await asyncio.gather(*self.tasks.values())
                        return
                    if await self.pool.zcard(self.queue_name) == 0:
                        await asyncio.gather(*self.tasks.values())
                        return
            except REDIS_DOWN as exc:
                await asyncio.sleep(self.outage.failed(exc))
            else:
                self.outage.recovered()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        # arq's start_jobs, except that a slot taken for a job is given back when Redis fails before the job
        # starts: otherwise each outage would cost the worker slots until it had none left
        for job_id_b in job_ids:
            await self.sem.acquire()
            if self.job_counter >= self.max_jobs:
                self.sem.release()
                return
            self.job_counter += 1
            job_id = job_id_b.decode()
            in_progress_key = in_progress_key_prefix + job_id
            started = False
            try:
                async with self.pool.pipeline(transaction=True) as pipe:
                    await pipe.watch(in_progress_key)
                    ongoing_exists = await pipe.exists(in_progress_key)
                    score = await pipe.zscore(self.queue_name, job_id)
                    if ongoing_exists or not score or score > timestamp_ms():
                        continue  # started elsewhere, finished, or deferred again meanwhile
                    pipe.multi()
                    pipe.psetex(in_progress_key, int(self.in_progress_timeout_s * 1000), b"1")
                    try:
                        await pipe.execute()
                    except (ResponseError, WatchError):
                        continue  # started elsewhere since
                task = self.loop.create_task(self.run_job(job_id, int(score)))
                task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
                self.tasks[job_id] = task
                started = True
            finally:
                if not started:
                    self.job_counter -= 1
                    self.sem.release()

    async def run_job(self, job_id: str, score: int) -> None:
        try:
            await super().run_job(job_id, score)
        except REDIS_DOWN:
            # Reading the job or recording its end failed; the poll loop notices (and logs) the outage itself.
            log.debug("job %s: Redis went away around it", job_id, exc_info=True)

    async def close(self) -> None:
        # arq's close, except that a Redis that is gone does not keep on_shutdown (the database, LINE clients)
        # from running
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        if not self._pool:
            return
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        with contextlib.suppress(*REDIS_DOWN):
            await self.pool.delete(self.health_check_key)
        if self.on_shutdown:
            await self.on_shutdown(self.ctx)
        with contextlib.suppress(*REDIS_DOWN):
            await self.pool.aclose(close_connection_pool=True)
        self._pool = None


def create_resilient_worker(settings: dict[str, Any], **kwargs: Any) -> ResilientWorker:
    """Like ``arq.worker.create_worker``, for the settings ``worker_settings`` returns."""
    return ResilientWorker(**{**get_kwargs(settings), **kwargs})


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
        from enishi.context import JobContext  # here: enishi.context itself imports the job queue interface

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
        "redis_settings": redis_settings(redis_url),
        "queue_name": queue_name,
        "timezone": UTC,  # the cron grid is in UTC, the same grid the in-process runner uses
        "keep_result": 0,
        # arq looks for jobs every poll_delay seconds (0.5 by default) and runs at most max_jobs (10) at once: a
        # worker whose short jobs (a batch of webhook events, of scenario steps) end in 50 ms then sat idle for the
        # rest of the half second. The database holds the work, so asking Redis often is cheap and safe.
        "poll_delay": env_float(settings.extra, "ENISHI_WORKER_POLL_SECONDS", 0.05, 0.005, 5.0),
        "max_jobs": env_int(settings.extra, "ENISHI_WORKER_MAX_JOBS", 32, 1, 1000),
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
