"""Embedded mode: jobs run as asyncio tasks inside the web process, with no Redis and no worker.

Nothing here survives a restart: queued and deferred jobs are lost when the process stops. That is acceptable
because the database holds the pending work and schedules (sweepers) pick it up again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from enishi.context import JobContext
from enishi.db.base import utcnow
from enishi.jobs.queue import JobError, ManagedQueue, check_request, find_job, pickled_copy
from enishi.jobs.schedules import SCHEDULE_TIMEOUT, cron_spec, next_tick
from enishi.types import Schedule

if TYPE_CHECKING:
    from enishi.db.engine import Database
    from enishi.plugin_host import PluginHost
    from enishi.settings import Settings

log = logging.getLogger("enishi.jobs")

DEFAULT_CONCURRENCY = 4
DEFAULT_GRACE = timedelta(seconds=10)


@dataclass(eq=False)
class _Pending:
    name: str
    due: float  # loop time at which it may start
    running: bool = False
    task: asyncio.Task[None] = field(init=False)


class InProcessQueue(ManagedQueue):
    """Runs at most ``concurrency`` jobs at once; ``close`` gives running jobs ``grace`` to finish."""

    def __init__(
        self,
        settings: Settings,
        host: PluginHost,
        db: Database,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        grace: timedelta = DEFAULT_GRACE,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.context = JobContext(settings=settings, db=db, host=host, jobs=self)
        self._registry = host.registry
        self._slots = asyncio.Semaphore(concurrency)
        self._grace = grace.total_seconds()
        self._pending: dict[str, _Pending] = {}  # by job id, queued or running
        self._schedules: list[asyncio.Task[None]] = []
        self._holds: set[asyncio.Task[Any]] = set()  # tasks that may still enqueue jobs (see hold)
        self._started = False
        self._closed = False

    async def start(self) -> None:
        """Start every registered Schedule; refuses all of them if one cannot run on the shared grid."""
        if self._started:
            return
        schedules = [(e.key, e.item) for e in self._registry.all("jobs") if isinstance(e.item, Schedule)]
        for key, schedule in schedules:
            cron_spec(key, schedule.every)  # the worker would refuse it too; fail the same way here
        self._started = True
        for key, schedule in schedules:
            self._schedules.append(asyncio.create_task(self._tick(key, schedule), name=f"enishi schedule {key}"))

    async def check(self) -> dict[str, str]:
        return {}  # nothing outside this process to lose

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_until: datetime | None = None, **kwargs: Any
    ) -> bool:
        if self._closed:
            raise JobError("the job queue is closed")
        job = find_job(self._registry, name)
        check_request(name, defer_until, kwargs)
        kwargs = pickled_copy(name, kwargs)
        job_id = job_id or uuid4().hex
        if job_id in self._pending:
            return False
        delay = 0.0 if defer_until is None else max((defer_until - utcnow()).total_seconds(), 0.0)
        self._submit(job_id, name, partial(job.fn, self.context, **kwargs), job.timeout, delay)
        return True

    def hold(self, task: asyncio.Task[Any]) -> None:
        """``task`` may still enqueue jobs (e.g. the webhook writer's waker, which gathers commits for a moment
        before queuing them): ``drain`` waits for it too."""
        self._holds.add(task)
        task.add_done_callback(self._holds.discard)

    async def drain(self) -> None:
        """Wait until no job is due or running, including jobs they enqueue (and jobs held tasks will enqueue);
        future deferrals are ignored."""
        loop = asyncio.get_running_loop()
        while due := [*self._holds, *(p.task for p in self._pending.values() if p.due <= loop.time())]:
            await asyncio.wait(due)

    async def close(self) -> None:
        """Drop waiting jobs and schedules, give running jobs the grace period, then cancel what is left."""
        if self._closed:
            return
        self._closed = True
        waiting = [p.task for p in self._pending.values() if not p.running]
        running = [p.task for p in self._pending.values() if p.running]
        for task in (*self._schedules, *waiting):
            task.cancel()
        await asyncio.gather(*self._schedules, *waiting, return_exceptions=True)
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=self._grace)
        if late:
            log.warning("cancelling %d job(s) still running after %.0f s", len(late), self._grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def __aenter__(self) -> InProcessQueue:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _submit(
        self, job_id: str, name: str, call: Callable[[], Awaitable[Any]], limit: timedelta, delay: float
    ) -> None:
        pending = _Pending(name=name, due=asyncio.get_running_loop().time() + delay)
        self._pending[job_id] = pending
        # The dict keeps a strong reference, so the task cannot be garbage-collected mid-run.
        pending.task = asyncio.create_task(self._run(job_id, pending, call, limit, delay), name=f"enishi job {name}")

    async def _run(
        self,
        job_id: str,
        pending: _Pending,
        call: Callable[[], Awaitable[Any]],
        limit: timedelta,
        delay: float,
    ) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            async with self._slots:
                pending.running = True
                await _guarded(pending.name, job_id, call, limit)
        finally:
            if self._pending.get(job_id) is pending:
                del self._pending[job_id]

    async def _tick(self, key: str, schedule: Schedule) -> None:
        every = schedule.every.total_seconds()
        job_id = f"schedule:{key}"
        last = 0.0
        while True:
            last = next_tick(every, time.time(), after=last)
            await asyncio.sleep(last - time.time())
            if job_id in self._pending:
                # A slow run is not stacked up; the next tick tries again.
                log.warning("schedule %s skipped a run: the previous one is still going", key)
                continue
            self._submit(job_id, key, partial(schedule.fn, self.context), SCHEDULE_TIMEOUT, 0.0)


async def _guarded(name: str, job_id: str, call: Callable[[], Awaitable[Any]], limit: timedelta) -> None:
    """Run one job, logging instead of raising, so a failing job never takes the runner down."""
    scope = asyncio.timeout(limit.total_seconds())
    started = time.monotonic()
    try:
        async with scope:
            await call()
    except Exception:
        if scope.expired():
            log.error("job %s (%s) timed out after %s", name, job_id, limit)
        else:
            log.exception("job %s (%s) failed", name, job_id)
    else:
        log.debug("job %s (%s) done in %.3f s", name, job_id, time.monotonic() - started)
