"""The delivery job and the sweeper, as the job runners call them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pluggy
from sqlalchemy import select, update

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.jobs import InProcessQueue
from enishi.jobs.schedules import cron_spec
from enishi.line.gateway import close_gateways
from enishi.line.outbox import (
    DELIVER_JOB,
    DELIVER_MANY_JOB,
    SWEEP_SCHEDULE,
    deliver,
    job_id,
    register_line_jobs,
    send_to_friend,
    sweep_line_requests,
)
from enishi.models import LineRequest, Workspace
from enishi.plugin_host import PluginHost
from enishi.registry import Registry
from enishi.testing import RecordingQueue
from enishi.types import JobType, Schedule
from tests.line.gateway.conftest import World

TEXT = {"type": "text", "text": "ステップ配信 1通目"}


def line_host() -> PluginHost:
    host = PluginHost(pm=pluggy.PluginManager("enishi"), registry=Registry())
    register_line_jobs(host.registry)
    return host


def test_the_job_and_the_schedule_are_registered_under_core() -> None:
    entries = {e.key: e for e in line_host().registry.all("jobs")}
    assert set(entries) == {DELIVER_JOB, DELIVER_MANY_JOB, SWEEP_SCHEDULE}  # one row, or a batch of rows
    assert isinstance(entries[DELIVER_JOB].item, JobType) and entries[DELIVER_JOB].plugin == "core"
    schedule = entries[SWEEP_SCHEDULE].item
    assert isinstance(schedule, Schedule) and schedule.every == timedelta(seconds=10)
    cron_spec(SWEEP_SCHEDULE, schedule.every)  # runs on the shared clock grid


async def test_a_send_is_delivered_by_the_job_enqueued_at_commit(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    await world.real_reply_token(shop, friend)
    host = line_host()
    try:
        async with InProcessQueue(world.settings, host, world.db) as queue:
            async with world.db.transaction(shop.workspace.id) as s:
                ctx = WorkspaceContext(
                    workspace_id=shop.workspace.id,
                    session=s,
                    host=host,
                    settings=world.settings,
                    jobs=queue,
                    enabled_plugins=frozenset(),
                )
                row = await send_to_friend(
                    ctx, shop.workspace.id, friend.id, [TEXT], idempotency_key="run:1:step:1", source="scenario"
                )
                assert row.kind == "reply"
                await queue.drain()
                assert await world.deliveries(shop, friend) == []  # nothing before the commit
            for _ in range(500):
                await asyncio.sleep(0.01)
                await queue.drain()
                if (await world.row(row.id)).status != "pending":
                    break
        assert (await world.row(row.id)).status == "accepted"
        [delivery] = await world.deliveries(shop, friend)
        assert delivery["endpoint"] == "reply"
    finally:
        await close_gateways()


async def test_a_rolled_back_send_enqueues_nothing(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    queue = RecordingQueue()
    async with world.db.session(shop.workspace.id) as s:
        await s.begin()
        await send_to_friend(s, shop.workspace.id, friend.id, [TEXT], idempotency_key="x", source="t", jobs=queue)
        await s.rollback()
    committed = None
    async with world.db.transaction(shop.workspace.id) as s:
        committed = await send_to_friend(
            s, shop.workspace.id, friend.id, [TEXT], idempotency_key="y", source="t", jobs=queue
        )
    for _ in range(3):
        await asyncio.sleep(0)  # the enqueue runs as a task started by the commit
    assert [(name, jid, kw) for name, jid, _at, kw in queue.enqueued] == [
        (DELIVER_JOB, job_id(committed), {"request_id": committed.id})
    ]


async def test_a_retry_is_enqueued_for_when_it_is_due(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    async with world.db.transaction(shop.workspace.id) as s:
        row = await send_to_friend(s, shop.workspace.id, friend.id, [TEXT], idempotency_key="r", source="t")
    await world.faults(errorRate=1.0, endpoints=["push"])
    gateway = world.make_gateway(retry_base=5.0, retry_cap=5.0)
    queue = RecordingQueue()
    try:
        assert await deliver(world.db, gateway, row.id, jobs=queue, config=world.outbox) == "pending"
    finally:
        await gateway.close()
    retry = await world.row(row.id)
    [(name, jid, at, kwargs)] = queue.enqueued
    assert (name, kwargs, at) == (DELIVER_JOB, {"request_id": row.id}, retry.next_attempt_at)
    assert jid == job_id(retry) != job_id(row)


async def test_the_sweeper_requeues_what_is_due_or_stuck(world: World) -> None:
    shop = await world.shop()
    friend = await world.friend(shop)
    now = utcnow()
    states = {
        "due": ("pending", now - timedelta(seconds=5)),
        "later": ("pending", now + timedelta(minutes=5)),
        "stuck": ("sending", now - timedelta(seconds=1)),  # its worker's lease ran out
        "in_flight": ("sending", now + timedelta(seconds=60)),
        "done": ("accepted", now - timedelta(hours=1)),
        "held": ("held", now - timedelta(hours=1)),
    }
    ids: dict[str, int] = {}
    for name, (status, at) in states.items():
        async with world.db.transaction(shop.workspace.id) as s:
            row = await send_to_friend(s, shop.workspace.id, friend.id, [TEXT], idempotency_key=name, source="t")
            await s.execute(
                update(LineRequest).where(LineRequest.id == row.id).values(status=status, next_attempt_at=at)
            )
            ids[name] = row.id
    queue = RecordingQueue()
    ctx = JobContext(settings=world.settings, db=world.db, host=line_host(), jobs=queue)
    assert await sweep_line_requests(ctx) == 2
    assert {kw["request_id"] for _n, _j, _a, kw in queue.enqueued} == {ids["due"], ids["stuck"]}
    assert all(name == DELIVER_JOB and jid and jid.startswith("line_request:") for name, jid, _a, _k in queue.enqueued)


async def test_the_sweeper_lifts_a_quota_stop_when_the_month_turns(world: World) -> None:
    shop = await world.shop()
    this_month = await world.shop("今月止まった店舗")
    friend = await world.friend(shop)
    async with world.db.transaction() as s:
        await s.execute(
            update(Workspace)
            .where(Workspace.id == shop.workspace.id)
            .values(quota_exhausted_at=utcnow() - timedelta(days=40))
        )
        await s.execute(
            update(Workspace).where(Workspace.id == this_month.workspace.id).values(quota_exhausted_at=utcnow())
        )
    async with world.db.transaction(shop.workspace.id) as s:
        row = await send_to_friend(s, shop.workspace.id, friend.id, [TEXT], idempotency_key="h", source="t")
    assert row.status == "held"

    queue = RecordingQueue()
    await sweep_line_requests(JobContext(settings=world.settings, db=world.db, host=line_host(), jobs=queue))
    assert (await world.row(row.id)).status == "pending"
    assert [kw["request_id"] for _n, _j, _a, kw in queue.enqueued] == [row.id]
    async with world.db.session() as s:
        stops = dict((await s.execute(select(Workspace.id, Workspace.quota_exhausted_at))).all())
    assert stops[shop.workspace.id] is None and stops[this_month.workspace.id] is not None
