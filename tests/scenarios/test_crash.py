"""Workers killed (SIGKILL) at random moments, two racing each other over batches of runs: every step still
happens exactly once, every send once."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from enishi.models import Friend, LineRequest, ScenarioRun, ScenarioStep
from tests.scenarios.conftest import World, chain, document, node

ROOT = Path(__file__).resolve().parents[2]
FRIENDS = 2000  # four batches of 500 at a node on SQLite, one of 2,000 on PostgreSQL; kept short for the suite
BATCH = "250"  # runs per transaction in the workers: many batches, each big enough to be cut in the middle


@pytest.mark.slow
async def test_killed_workers_leave_every_step_and_send_done_once(world: World) -> None:
    tag = await world.tag("ステップ済")
    start = node("core.manual_start")
    hello = node(
        "messages.send_messages", {"messages": [{"type": "text", "text": "{{friend.display_name}}さん、ようこそ"}]}
    )
    mark = node("tags.add_tag", {"tag_ids": [tag]})
    bye = node("messages.send_messages", {"messages": [{"type": "text", "text": "またね"}]})
    scenario_id = await world.scenario(document([start, hello, mark, bye], chain(start, hello, mark, bye)))
    friend_ids = await _friends(world, FRIENDS)

    # The runs are written with no job queue, so only the worker processes below advance them.
    services = world.env.app.state["enishi"]
    await services.jobs.close()
    response = await world.client.post(world.url(f"/{scenario_id}/runs"), json={"friend_ids": friend_ids})
    assert response.json() == {"started": FRIENDS}

    env = {**os.environ, **_env_of(world), "ENISHI_SCENARIO_BATCH": BATCH}
    rng = random.Random(20261206)
    kills = 0
    for _ in range(12):
        # Two workers race over the same due runs; both are killed together at a random moment.
        workers = [await _worker(env), await _worker(env)]
        try:
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in workers)), timeout=rng.uniform(1.5, 3.5))
        except TimeoutError:
            for worker in workers:
                if worker.returncode is None:
                    worker.send_signal(signal.SIGKILL)
                    kills += 1
            await asyncio.gather(*(w.wait() for w in workers))
            continue
        assert [w.returncode for w in workers] == [0, 0]
        break
    else:
        worker = await _worker(env)
        assert await worker.wait() == 0
    assert kills >= 1, "the workers finished before they could be killed: raise FRIENDS"

    async with world.db.session() as s:
        statuses = dict((await s.execute(select(ScenarioRun.status, func.count()).group_by(ScenarioRun.status))).all())
        assert statuses == {"completed": FRIENDS}
        steps = (await s.execute(select(ScenarioStep.node_id, func.count()).group_by(ScenarioStep.node_id))).all()
        assert dict(steps) == {n["id"]: FRIENDS for n in (start, hello, mark, bye)}
        requests = (await s.scalars(select(LineRequest))).all()
    per_friend: dict[int, int] = {}
    for request in requests:
        for fid in request.friend_ids:
            per_friend[fid] = per_friend.get(fid, 0) + 1
    assert per_friend == {fid: 2 for fid in friend_ids}
    assert await world.tags_of(friend_ids[0]) == {tag}


async def _worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.scenarios.step_worker", cwd=ROOT, env=env)


async def _friends(world: World, count: int) -> list[int]:
    rows = [
        {"workspace_id": world.workspace_id, "line_user_id": f"Ucrash{n:08d}", "display_name": f"友だち{n}"}
        for n in range(count)
    ]
    async with world.db.transaction(world.workspace_id) as s:
        await s.execute(insert(Friend), rows)
        found = await s.scalars(select(Friend.id).where(Friend.line_user_id.startswith("Ucrash")).order_by(Friend.id))
        return list(found.all())


def _env_of(world: World) -> dict[str, str]:
    settings = world.env.settings
    return {
        "ENISHI_DATABASE_URL": settings.database_url,
        "ENISHI_DATA_DIR": str(settings.data_dir),
        "ENISHI_SECRET_KEY": ",".join(settings.secret_keys),
        "ENISHI_LOG_LEVEL": "WARNING",
    }
