from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from enishi.context import JobContext
from enishi.db.base import utcnow
from enishi.db.engine import Database
from enishi.jobs import ArqQueue, InProcessQueue, JobError, ScheduleError, UnknownJobError, make_queue
from enishi.plugin_host import PluginHost
from enishi.settings import Settings
from enishi.types import JobType, Schedule

HostFactory = Callable[..., PluginHost]


def recorder(calls: list[Any]) -> JobType:
    async def record(ctx: JobContext, **kwargs: Any) -> None:
        calls.append((ctx, kwargs))

    return JobType(name="record", fn=record)


async def test_runs_a_job_with_its_arguments_and_context(
    settings: Settings, db: Database, make_host: HostFactory
) -> None:
    calls: list[Any] = []
    host = make_host(recorder(calls))
    async with InProcessQueue(settings, host, db) as queue:
        payload = {"tags": ["a", "b"]}
        assert await queue.enqueue("test.record", friend_id=7, payload=payload) is True
        payload["tags"].append("changed after enqueue")
        await queue.drain()
    [(ctx, kwargs)] = calls
    # The job gets a copy, as it would from arq, so later changes by the caller do not leak in.
    assert kwargs == {"friend_id": 7, "payload": {"tags": ["a", "b"]}}
    assert ctx.jobs is queue and ctx.settings is settings and ctx.db is db and ctx.host is host


async def test_same_job_id_is_refused_while_queued_or_running_and_free_after(
    settings: Settings, db: Database, make_host: HostFactory
) -> None:
    release = asyncio.Event()
    runs: list[str] = []

    async def slow(ctx: JobContext, label: str) -> None:
        runs.append(label)
        await release.wait()

    async with InProcessQueue(settings, make_host(JobType(name="slow", fn=slow)), db) as queue:
        later = utcnow() + timedelta(hours=1)
        assert await queue.enqueue("test.slow", job_id="deferred", defer_until=later, label="d1")
        assert not await queue.enqueue("test.slow", job_id="deferred", label="d2")

        assert await queue.enqueue("test.slow", job_id="x", label="first")
        await asyncio.sleep(0.05)
        assert runs == ["first"]
        assert not await queue.enqueue("test.slow", job_id="x", label="while running")
        release.set()
        await queue.drain()
        assert runs == ["first"]
        # Finished ids are forgotten, like arq without kept results.
        assert await queue.enqueue("test.slow", job_id="x", label="again")
        await queue.drain()
    assert runs == ["first", "again"]


async def test_defer_until_delays_the_start(settings: Settings, db: Database, make_host: HostFactory) -> None:
    started: dict[str, float] = {}
    done = asyncio.Event()

    async def mark(ctx: JobContext, label: str) -> None:
        started[label] = time.monotonic()
        if label == "deferred":
            done.set()

    async with InProcessQueue(settings, make_host(JobType(name="mark", fn=mark)), db) as queue:
        t0 = time.monotonic()
        assert await queue.enqueue("test.mark", defer_until=utcnow() + timedelta(seconds=0.3), label="deferred")
        assert await queue.enqueue("test.mark", defer_until=utcnow() - timedelta(hours=1), label="past")
        await queue.drain()  # runs what is due, not what is deferred
        assert "past" in started and "deferred" not in started
        await asyncio.wait_for(done.wait(), timeout=10)
    assert started["deferred"] - t0 >= 0.25


async def test_a_failing_or_hanging_job_is_logged_and_the_runner_goes_on(
    settings: Settings, db: Database, make_host: HostFactory, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[Any] = []

    async def boom(ctx: JobContext) -> None:
        raise RuntimeError("kaboom")

    async def hang(ctx: JobContext) -> None:
        await asyncio.sleep(60)

    host = make_host(
        JobType(name="boom", fn=boom), JobType(name="hang", fn=hang, timeout=timedelta(seconds=0.1)), recorder(calls)
    )
    with caplog.at_level(logging.INFO, logger="enishi.jobs"):
        async with InProcessQueue(settings, host, db) as queue:
            await queue.enqueue("test.boom", job_id="b1")
            await queue.enqueue("test.hang", job_id="h1")
            await asyncio.wait_for(queue.drain(), timeout=10)
            await queue.enqueue("test.record", n=1)
            await queue.drain()
    assert [kwargs for _, kwargs in calls] == [{"n": 1}]
    failed = [r for r in caplog.records if "test.boom (b1) failed" in r.getMessage()]
    assert failed and failed[0].exc_info and "kaboom" in str(failed[0].exc_info[1])
    assert any("test.hang (h1) timed out" in r.getMessage() for r in caplog.records)


async def test_concurrency_limit(settings: Settings, db: Database, make_host: HostFactory) -> None:
    running = peak = 0

    async def busy(ctx: JobContext) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1

    async with InProcessQueue(settings, make_host(JobType(name="busy", fn=busy)), db, concurrency=2) as queue:
        for _ in range(6):
            await queue.enqueue("test.busy")
        await queue.drain()
    assert peak == 2


async def test_schedules_run_every_interval(settings: Settings, db: Database, make_host: HostFactory) -> None:
    ticks: list[float] = []
    contexts: list[JobContext] = []
    two_ticks = asyncio.Event()

    async def tick(ctx: JobContext) -> None:
        ticks.append(time.time())
        contexts.append(ctx)
        if len(ticks) == 2:
            two_ticks.set()

    host = make_host(Schedule(name="tick", fn=tick, every=timedelta(seconds=1)))
    async with InProcessQueue(settings, host, db) as queue:
        await queue.start()  # a second start must not double the schedule
        await asyncio.wait_for(two_ticks.wait(), timeout=10)
    assert len(ticks) >= 2
    assert all(c.jobs is queue for c in contexts)
    assert 0.5 <= ticks[1] - ticks[0] <= 3  # one per second, not two per tick
    assert ticks[0] % 1 < 0.5  # on the whole-second grid the arq worker uses too


async def test_schedules_that_arq_could_not_run_are_refused_at_start(
    settings: Settings, db: Database, make_host: HostFactory
) -> None:
    async def tick(ctx: JobContext) -> None: ...

    host = make_host(Schedule(name="odd", fn=tick, every=timedelta(seconds=7)))
    queue = InProcessQueue(settings, host, db)
    with pytest.raises(ScheduleError, match=r"test\.odd"):
        await queue.start()
    await queue.close()


async def test_bad_requests_are_refused(settings: Settings, db: Database, make_host: HostFactory) -> None:
    async def tick(ctx: JobContext) -> None: ...

    host = make_host(recorder([]), Schedule(name="tick", fn=tick, every=timedelta(minutes=1)))
    async with InProcessQueue(settings, host, db) as queue:
        with pytest.raises(UnknownJobError):
            await queue.enqueue("test.nope")
        with pytest.raises(UnknownJobError):
            await queue.enqueue("test.tick")  # a Schedule is not an on-demand job
        with pytest.raises(JobError, match="timezone-aware"):
            await queue.enqueue("test.record", defer_until=utcnow().replace(tzinfo=None))
        with pytest.raises(JobError, match="picklable"):
            await queue.enqueue("test.record", callback=lambda: None)
        with pytest.raises(JobError, match="reserved"):
            await queue.enqueue("test.record", _secret=1)
    with pytest.raises(JobError, match="closed"):
        await queue.enqueue("test.record")


async def test_close_drops_waiting_jobs_and_waits_for_running_ones(
    settings: Settings, db: Database, make_host: HostFactory
) -> None:
    events: list[str] = []

    async def work(ctx: JobContext, label: str, seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
            events.append(f"{label} done")
        except asyncio.CancelledError:
            events.append(f"{label} cancelled")
            raise

    host = make_host(JobType(name="work", fn=work))
    queue = InProcessQueue(settings, host, db, concurrency=1, grace=timedelta(seconds=5))
    await queue.start()
    await queue.enqueue("test.work", label="running", seconds=0.2)
    await queue.enqueue("test.work", label="waiting for a slot", seconds=0)
    await queue.enqueue("test.work", label="deferred", seconds=0, defer_until=utcnow() + timedelta(hours=1))
    await asyncio.sleep(0.05)
    await queue.close()
    assert events == ["running done"]

    impatient = InProcessQueue(settings, host, db, grace=timedelta(seconds=0.1))
    await impatient.enqueue("test.work", label="stuck", seconds=60)
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await impatient.close()
    assert time.monotonic() - started < 5
    assert events[-1] == "stuck cancelled"


async def test_make_queue_picks_the_runner_from_settings(
    settings: Settings, db: Database, make_host: HostFactory
) -> None:
    host = make_host()
    assert isinstance(make_queue(settings, host, db), InProcessQueue)
    with_redis = settings.with_changes(redis_url="redis://127.0.0.1:6379/0")
    queue = make_queue(with_redis, host, db)
    assert isinstance(queue, ArqQueue) and queue.redis_url == "redis://127.0.0.1:6379/0"
