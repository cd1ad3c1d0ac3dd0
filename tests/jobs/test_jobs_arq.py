from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from arq.worker import Worker, create_worker
from redis.asyncio import Redis

from enishi.context import JobContext
from enishi.db.base import utcnow
from enishi.db.engine import Database
from enishi.jobs import ArqQueue, NoRedisError, ScheduleError, UnknownJobError, worker_settings
from enishi.jobs.queue import ahead_of_queue
from enishi.plugin_host import PluginHost
from enishi.settings import Settings, load_settings
from enishi.types import JobType, Schedule
from enishi.worker import run_worker

HostFactory = Callable[..., PluginHost]


# arq itself still calls redis' deprecated close() when a worker shuts down.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


def _append(path: str, line: str) -> None:
    with open(path, "a") as fh:
        fh.write(line)


async def append_line(ctx: JobContext, path: str, word: str) -> None:
    await asyncio.to_thread(_append, path, f"{word} {type(ctx).__name__} {type(ctx.jobs).__name__}\n")


def redis_settings(tmp_path: Path, redis_url: str) -> Settings:
    return load_settings({"ENISHI_DATA_DIR": str(tmp_path), "ENISHI_REDIS_URL": redis_url})


def test_worker_settings_map_jobs_and_schedules(settings: Settings, make_host: HostFactory) -> None:
    async def tick(ctx: JobContext) -> None: ...

    host = make_host(
        JobType(name="append", fn=append_line, timeout=timedelta(seconds=42)),
        Schedule(name="tick", fn=tick, every=timedelta(minutes=15)),
    )
    with_redis = settings.with_changes(redis_url="redis://127.0.0.1:6379/3")
    ws = worker_settings(with_redis, host, Database("sqlite+aiosqlite:///:memory:"), queue_name="q")
    [function] = ws["functions"]
    assert (function.name, function.timeout_s, function.keep_result_s) == ("test.append", 42, 0)
    [cron_job] = ws["cron_jobs"]
    assert cron_job.name == "test.tick" and cron_job.minute == {0, 15, 30, 45} and cron_job.second == {0}
    assert ws["queue_name"] == "q" and ws["timezone"] is UTC and ws["redis_settings"].database == 3

    odd = make_host(Schedule(name="odd", fn=tick, every=timedelta(minutes=7)))
    with pytest.raises(ScheduleError, match=r"test\.odd"):
        worker_settings(with_redis, odd, Database("sqlite+aiosqlite:///:memory:"))


def test_run_worker_refuses_without_redis(settings: Settings) -> None:
    with pytest.raises(NoRedisError, match="ENISHI_REDIS_URL"):
        run_worker(settings)


async def run_burst(settings: Settings, host: PluginHost, db: Database, queue_name: str) -> Worker:
    ws = worker_settings(settings, host, db, queue_name=queue_name)
    worker = create_worker(ws, burst=True, handle_signals=False, poll_delay=0.05)
    try:
        await asyncio.wait_for(worker.async_run(), timeout=30)
    finally:
        await worker.close()
    return worker


@pytest.mark.redis
async def test_a_job_enqueued_twice_with_one_id_runs_once_on_a_real_worker(
    redis_url: str, redis_token: str, tmp_path: Path, make_host: HostFactory, db: Database
) -> None:
    settings = redis_settings(tmp_path, redis_url)
    host = make_host(JobType(name="append", fn=append_line), plugin=f"t{redis_token}")
    name, queue_name, out = f"t{redis_token}.append", f"enishi-test:{redis_token}", tmp_path / "out.txt"
    queue = ArqQueue(redis_url, host.registry, queue_name=queue_name)
    try:
        await queue.start()
        assert await queue.enqueue(name, job_id=f"{redis_token}-1", path=str(out), word="hello") is True
        assert await queue.enqueue(name, job_id=f"{redis_token}-1", path=str(out), word="again") is False
        with pytest.raises(UnknownJobError):
            await queue.enqueue(f"t{redis_token}.missing")

        worker = await run_burst(settings, host, db, queue_name)
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        assert out.read_text() == "hello JobContext ArqQueue\n"

        # No kept result: once done, the id is free again, as in embedded mode.
        assert await queue.enqueue(name, job_id=f"{redis_token}-1", path=str(out), word="later") is True
        await run_burst(settings, host, db, queue_name)
        assert out.read_text().splitlines() == ["hello JobContext ArqQueue", "later JobContext ArqQueue"]
    finally:
        await queue.close()


@pytest.mark.redis
async def test_defer_until_reaches_redis(redis_url: str, redis_token: str, make_host: HostFactory) -> None:
    host = make_host(JobType(name="append", fn=append_line), plugin=f"t{redis_token}")
    queue_name = f"enishi-test:{redis_token}"
    queue = ArqQueue(redis_url, host.registry, queue_name=queue_name)
    client = Redis.from_url(redis_url)
    try:
        when = utcnow() + timedelta(hours=2)
        await queue.enqueue(f"t{redis_token}.append", job_id=f"{redis_token}-d", defer_until=when, path="-", word="-")
        score = await client.zscore(queue_name, f"{redis_token}-d")
        assert score is not None and abs(score - when.timestamp() * 1000) < 1000
    finally:
        await client.aclose()
        await queue.close()


@pytest.mark.redis
async def test_work_someone_waits_for_runs_before_a_backlog_queued_earlier(
    redis_url: str, redis_token: str, tmp_path: Path, make_host: HostFactory, db: Database
) -> None:
    """A reply to a friend is not held back by a burst of webhook batches queued before it (one job at a time)."""
    settings = redis_settings(tmp_path, redis_url).with_changes(extra={"ENISHI_WORKER_MAX_JOBS": "1"})
    host = make_host(JobType(name="append", fn=append_line), plugin=f"t{redis_token}")
    name, queue_name, out = f"t{redis_token}.append", f"enishi-test:{redis_token}", tmp_path / "order.txt"
    queue = ArqQueue(redis_url, host.registry, queue_name=queue_name)
    try:
        await queue.start()
        for n in range(5):
            await queue.enqueue(name, path=str(out), word=f"backlog{n}")
        await queue.enqueue(name, defer_until=ahead_of_queue(), path=str(out), word="reply")
        worker = await run_burst(settings, host, db, queue_name)
        assert (worker.jobs_complete, worker.jobs_failed) == (6, 0)
        words = [line.split()[0] for line in out.read_text().splitlines()]
        # The backlog shares one millisecond score, so Redis orders it by job id: only the reply's place is promised.
        assert words[0] == "reply" and sorted(words[1:]) == [f"backlog{n}" for n in range(5)]
    finally:
        await queue.close()


@pytest.mark.redis
async def test_schedules_run_on_a_real_worker(
    redis_url: str, redis_token: str, tmp_path: Path, make_host: HostFactory, db: Database
) -> None:
    out = tmp_path / "ticks.txt"
    recorded = asyncio.Event()

    async def tick(ctx: JobContext) -> None:
        await append_line(ctx, str(out), "tick")

    async def after_job_end(ctx: dict[str, Any]) -> None:
        # Set once arq has recorded the run: closing earlier would cancel its bookkeeping.
        recorded.set()

    host = make_host(Schedule(name="tick", fn=tick, every=timedelta(seconds=1)), plugin=f"t{redis_token}")
    ws = worker_settings(redis_settings(tmp_path, redis_url), host, db, queue_name=f"enishi-test:{redis_token}")
    worker = create_worker(ws, handle_signals=False, poll_delay=0.1, after_job_end=after_job_end)
    running = asyncio.create_task(worker.async_run())
    waiting = asyncio.create_task(recorded.wait())
    try:
        # Either the first tick was recorded or the worker stopped (e.g. crashed), whichever comes first.
        await asyncio.wait([running, waiting], timeout=15, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
        await worker.close()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert recorded.is_set(), "no scheduled run within 15 s"
    assert out.read_text().splitlines()[0] == "tick JobContext ArqQueue"


WORKER_SCRIPT = """
import sys
from pathlib import Path

import pluggy

import enishi.plugin_host as plugin_host
from enishi.worker import run_worker
from enishi.registry import Registered, Registry
from enishi.types import JobType

out, plugin, queue_name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]


async def touch(ctx, word):
    out.write_text(f"{word} {type(ctx.db).__name__}")


def discover(settings, extra=(), core=None):
    # Stands in for entry-point discovery, so the worker serves exactly one test job.
    host = plugin_host.PluginHost(pm=pluggy.PluginManager("enishi"), registry=Registry())
    job = JobType(name="touch", fn=touch)
    host.registry.add("jobs", Registered(key=f"{plugin}.touch", plugin=plugin, plugin_version="1", item=job))
    return host


plugin_host.discover = discover
run_worker(burst=True, queue_name=queue_name)
"""


@pytest.mark.redis
@pytest.mark.slow
async def test_run_worker_serves_jobs_in_its_own_process(
    redis_url: str, redis_token: str, tmp_path: Path, make_host: HostFactory
) -> None:
    plugin, queue_name, out = f"t{redis_token}", f"enishi-test:{redis_token}", tmp_path / "touched.txt"
    queue = ArqQueue(
        redis_url, make_host(JobType(name="touch", fn=append_line), plugin=plugin).registry, queue_name=queue_name
    )
    try:
        assert await queue.enqueue(f"{plugin}.touch", job_id=f"{redis_token}-w", word="served")
    finally:
        await queue.close()
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER_SCRIPT))
    env = {**os.environ, "ENISHI_DATA_DIR": str(tmp_path / "data"), "ENISHI_REDIS_URL": redis_url}
    env.pop("ENISHI_DATABASE_URL", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        str(out),
        plugin,
        queue_name,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, output.decode()
    assert out.read_text() == "served Database"
