"""The outbox's jobs: delivering one row or a batch, and the sweeper that requeues what is due or lost."""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import timedelta

from sqlalchemy import select

from enishi.context import JobContext
from enishi.db.base import utcnow
from enishi.line.outbox.config import QUOTA_TIMEZONE, OutboxSettings
from enishi.line.outbox.delivering import deliver, deliver_many
from enishi.line.outbox.writing import delivery_job_id, enqueue_delivery, release_quota_hold
from enishi.models import LineRequest, Workspace
from enishi.registry import Registered, Registry
from enishi.types import JobType, Schedule

log = logging.getLogger("enishi.line.outbox")


async def deliver_line_request(ctx: JobContext, request_id: int) -> str:
    """Job: deliver one outbox row (``core.deliver_line_request``)."""
    from enishi.line.gateway import gateway_for

    return await deliver(ctx.db, gateway_for(ctx.settings), request_id, jobs=ctx.jobs)


# Batches a process sends at once. A worker runs many jobs at a time (32 by default); when sends pile up behind
# LINE's pace, every delivery job running at once would hold its claimed rows and their answers in memory, and a
# worker's memory would grow with the backlog rather than stay flat. The others wait holding only their ids.
DELIVERY_BATCHES_AT_ONCE = 6
_batch_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _delivery_slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _batch_slots.get(loop)
    if slots is None:
        slots = _batch_slots[loop] = asyncio.Semaphore(DELIVERY_BATCHES_AT_ONCE)
    return slots


async def deliver_line_requests(ctx: JobContext, request_ids: list[int]) -> int:
    """Job: deliver a batch of outbox rows (``core.deliver_line_requests``); how many were accepted."""
    from enishi.line.gateway import gateway_for

    async with _delivery_slots():
        statuses = await deliver_many(ctx.db, gateway_for(ctx.settings), request_ids, jobs=ctx.jobs)
    return statuses.count("accepted")


async def sweep_line_requests(ctx: JobContext) -> int:
    """Schedule: requeue outbox rows that are due or whose worker died, and lift quota holds of past months."""
    config = OutboxSettings.from_settings(ctx.settings)
    now = utcnow()
    this_month = now.astimezone(QUOTA_TIMEZONE).strftime("%Y-%m")
    async with ctx.db.session() as s:
        held = (
            await s.execute(
                select(Workspace.id, Workspace.quota_exhausted_at).where(Workspace.quota_exhausted_at.is_not(None))
            )
        ).all()
    for workspace_id, since in held:
        if since is not None and since.astimezone(QUOTA_TIMEZONE).strftime("%Y-%m") != this_month:
            async with ctx.db.transaction() as s:
                released = await release_quota_hold(s, workspace_id)
            log.info("workspace %s: a new quota month, %d held LINE request(s) released", workspace_id, released)
    now = utcnow()  # after any release, so what it released is due now
    async with ctx.db.session() as s:
        due = (
            await s.execute(
                select(LineRequest.id, LineRequest.next_attempt_at)
                .where(LineRequest.status.in_(("pending", "sending")), LineRequest.next_attempt_at <= now)
                .order_by(LineRequest.next_attempt_at)
                .limit(config.sweep_batch)
            )
        ).all()
    for request_id, at in due:
        await enqueue_delivery(ctx.jobs, request_id, delivery_job_id(request_id, at))
    return len(due)


def register_line_jobs(registry: Registry) -> None:
    """Register ``core.deliver_line_request`` and the schedule ``core.sweep_line_requests`` (every 10 s)."""
    from enishi.version import CORE_API_VERSION

    items: tuple[JobType | Schedule, ...] = (
        JobType(name="deliver_line_request", fn=deliver_line_request, timeout=timedelta(minutes=5)),
        JobType(name="deliver_line_requests", fn=deliver_line_requests, timeout=timedelta(minutes=10)),
        Schedule(name="sweep_line_requests", fn=sweep_line_requests, every=timedelta(seconds=10)),
    )
    for item in items:
        registry.add(
            "jobs", Registered(key=f"core.{item.name}", plugin="core", plugin_version=CORE_API_VERSION, item=item)
        )
