"""Scenarios in the scaled-out mode: the web app enqueues on Redis, an arq worker advances the runs, and a wait
becomes a deferred arq job under a stable id (the run and its due time) that is due when the wait ends."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from arq.worker import create_worker
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from redis.exceptions import RedisError

from enishi.app import create_app
from enishi.jobs import worker_settings
from enishi.jobs.arq_queue import QUEUE_NAME
from enishi.scenarios.engine import due_job_id
from tests.conftest import Env, make_host, new_client, settings_for, unavailable
from tests.scenarios.conftest import World, chain, document, node

REDIS_URL = os.environ.get("ENISHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
pytestmark = [pytest.mark.redis, pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")]


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError):
        await client.aclose()
        unavailable(f"Redis at {REDIS_URL}")
    await client.delete(QUEUE_NAME)
    yield client
    await client.delete(QUEUE_NAME)
    await client.aclose()


@pytest.fixture
async def arq_world(database_url: str, tmp_path: Path, redis: Redis) -> AsyncIterator[World]:
    settings = settings_for(tmp_path, database_url, ENISHI_REDIS_URL=REDIS_URL)
    host = make_host(settings)
    app = create_app(settings, host)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        env = Env(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=new_client(app))
        owner = await env.user("owner@arq.example")
        workspace = await env.workspace(await env.agency(owner=owner), "縁カフェ")
        other = await env.workspace(await env.agency(name="別"), "別の店")
        async with env.db.transaction(workspace.id) as s:
            from enishi.models import Friend

            friend = Friend(line_user_id="Uarqfriend", display_name="アオイ")
            s.add(friend)
            await s.flush()
            friends = {"aoi": friend.id}
        client = await env.login("owner@arq.example")
        try:
            yield World(env, client, workspace.id, other.id, friends)
        finally:
            for c in [env.client, *env.clients]:
                await c.aclose()


async def test_an_arq_worker_runs_steps_and_defers_the_wait(arq_world: World, redis: Redis) -> None:
    world = arq_world
    first, later = await world.tag("初日"), await world.tag("翌日")
    start = node("core.manual_start")
    add = node("tags.add_tag", {"tag_ids": [first]})
    wait = node("core.wait_delay", {"days": 1})
    add_later = node("tags.add_tag", {"tag_ids": [later]})
    scenario_id = await world.scenario(document([start, add, wait, add_later], chain(start, add, wait, add_later)))
    aoi = world.friends["aoi"]
    response = await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": [aoi]})
    assert response.json() == {"started": 1}
    await asyncio.sleep(0.1)
    assert await redis.zcard(QUEUE_NAME) == 1  # the web process only enqueued; nothing ran yet
    [run] = await world.runs(scenario_id)
    assert run.status == "active"

    services = world.env.app.state["enishi"]
    worker = create_worker(
        worker_settings(world.env.settings, services.host, services.db), handle_signals=False, poll_delay=0.05
    )
    task = asyncio.create_task(worker.async_run())
    try:
        for _ in range(300):
            run = (await world.runs(scenario_id))[0]
            # Closing cancels the jobs still running: wait until the step's job has finished its bookkeeping.
            if run.status == "waiting" and all(job.done() for job in worker.tasks.values()):
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert run.status == "waiting" and run.resume_at is not None
    assert await world.tags_of(aoi) == {first}
    # The wake-up is a deferred job with a stable id, due when the wait ends.
    score = await redis.zscore(QUEUE_NAME, due_job_id(run.scenario_id, run.resume_at))
    assert score is not None
    due = datetime.fromtimestamp(score / 1000, UTC)
    assert abs(due - run.resume_at) < timedelta(seconds=1)
    assert timedelta(hours=23, minutes=59) < run.resume_at - datetime.now(UTC) <= timedelta(days=1)
