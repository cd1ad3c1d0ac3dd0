"""Exactly once: a 10,000-recipient broadcast whose worker is killed (SIGKILL) at random moments while it sends,
and restarted, reaches every recipient exactly once, as the emulator's log of each simulated user shows.

LINE (the emulator) answers slowly and drops 30 % of the connections after it has delivered (the ambiguous
failure a client must retry with the same retry key), so kills land while requests are in flight, between LINE
accepting and the outbox recording, while batches are written, and while the audience is frozen.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enishi.models import LineRequest
from enishi.models.broadcasts import Broadcast, BroadcastCount
from tests.delivery.conftest import TEXT, Shop

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 10_000
KILLS = 3


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {
        "ENISHI_BROADCAST_CONCURRENCY": "2",
        "ENISHI_BROADCAST_WINDOW": "2",
        "ENISHI_BROADCAST_LEASE_SECONDS": "1",
    }


@pytest.mark.slow
async def test_killed_workers_leave_every_recipient_with_exactly_one_copy(shop: Shop) -> None:
    many = await shop.add_friends(RECIPIENTS - 2)
    await shop.env.app.state["enishi"].jobs.close()  # only the worker processes below move the broadcast
    made = await shop.send({"name": "一万人に一度だけ", "messages": [TEXT]})
    shop.emulator.set_faults(latency_ms=150, drop_rate=0.3, after_processing=True, endpoints=frozenset({"multicast"}))

    env = {**os.environ, **_worker_env(shop)}
    rng = random.Random(20261127)
    kills = 0
    started = time.monotonic()
    while kills < KILLS:
        worker = await _worker(env, made["id"])
        moved = await _progress_after(shop, made["id"], worker)
        if moved:
            await asyncio.sleep(rng.uniform(0.0, 0.8))  # a random moment once it is at work
        if worker.returncode is not None:
            assert worker.returncode == 0
            break
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
        kills += 1
    else:
        worker = await _worker(env, made["id"])
        # (a generous bound: a loaded machine with other tests running beside it slows the worker down)
        try:
            assert await asyncio.wait_for(worker.wait(), timeout=400) == 0
        except TimeoutError:
            worker.kill()
            await worker.wait()
            pytest.fail(f"the last worker did not finish the broadcast: {await _state(shop, made['id'])}")
    assert kills == KILLS, "the worker finished before it could be killed: raise RECIPIENTS or the latency"

    missing, repeated = [], []
    for friend in [shop.friends["aoi"], shop.friends["ren"], *many]:
        copies = len(shop.deliveries(friend))
        if copies == 0:
            missing.append(friend)
        elif copies > 1:
            repeated.append(friend)
    assert (missing, repeated) == ([], []), f"{len(missing)} missing, {len(repeated)} got more than one copy"
    shown = await shop.show(made["id"])
    assert (shown["status"], shown["progress"]["sent"], shown["progress"]["failed"]) == ("completed", RECIPIENTS, 0)
    async with shop.db.session() as s:
        requests = (
            await s.execute(
                select(LineRequest.status, func.count())
                .where(LineRequest.broadcast_id == made["id"])
                .group_by(LineRequest.status)
            )
        ).all()
        retried = await s.scalar(
            select(func.count()).where(LineRequest.broadcast_id == made["id"], LineRequest.attempts > 1)
        )
        runs = await s.scalar(select(Broadcast.dispatch_runs).where(Broadcast.id == made["id"]))
    assert dict(requests) == {"accepted": RECIPIENTS // 500}
    assert retried  # requests were sent again (after drops and kills), and still reached everyone once
    print(f"{kills} kills, {retried} requests retried, {runs} dispatcher runs, {time.monotonic() - started:.1f} s")


async def _worker(env: dict[str, str], broadcast_id: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.delivery.broadcast_worker", str(broadcast_id), cwd=ROOT, env=env
    )


async def _progress_after(shop: Shop, broadcast_id: int, worker: asyncio.subprocess.Process) -> bool:
    """Wait until the worker has changed something visible (started the broadcast, wrote or sent a batch)."""
    before = await _signature(shop, broadcast_id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and worker.returncode is None:
        if await _signature(shop, broadcast_id) != before:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(worker.wait(), timeout=0.05)
    return False


async def _state(shop: Shop, broadcast_id: int) -> str:
    """Where a broadcast that did not finish stands: its row and its requests by status (for the failure)."""
    async with shop.db.session() as s:
        broadcast = (await s.execute(select(Broadcast).where(Broadcast.id == broadcast_id))).scalar_one()
        requests = (
            await s.execute(
                select(
                    LineRequest.status,
                    func.count(),
                    func.min(LineRequest.next_attempt_at),
                    func.max(LineRequest.next_attempt_at),
                    func.max(LineRequest.attempts),
                )
                .where(LineRequest.broadcast_id == broadcast_id)
                .group_by(LineRequest.status)
            )
        ).all()
    row = {c.name: getattr(broadcast, c.key) for c in Broadcast.__table__.columns if c.name != "messages"}
    return f"broadcast {row}; requests (status, count, next attempt from, to, most attempts) {requests}"


async def _signature(shop: Shop, broadcast_id: int) -> tuple[object, ...]:
    sent = select(func.coalesce(func.sum(BroadcastCount.sent), 0)).where(BroadcastCount.broadcast_id == broadcast_id)
    async with shop.db.session() as s:
        row = (
            await s.execute(
                select(Broadcast.status, Broadcast.written, sent.scalar_subquery()).where(Broadcast.id == broadcast_id)
            )
        ).one()
    return tuple(row)


def _worker_env(shop: Shop) -> dict[str, str]:
    settings = shop.env.settings
    return {
        "ENISHI_DATABASE_URL": settings.database_url,
        "ENISHI_DATA_DIR": str(settings.data_dir),
        "ENISHI_SECRET_KEY": ",".join(settings.secret_keys),
        "ENISHI_LINE_API_URL": settings.line_api_url,
        "ENISHI_LOG_LEVEL": "ERROR",
        "ENISHI_LINE_LEASE_SECONDS": "10",  # the shortest: requests a killed worker had claimed wait this long
        "ENISHI_LINE_RETRY_BASE_SECONDS": "0.05",
        "ENISHI_LINE_RETRY_MAX_SECONDS": "0.2",
        **{k: v for k, v in settings.extra.items() if k.startswith("ENISHI_BROADCAST_")},
    }
