"""Broadcast delivery: creating and scheduling broadcasts, fixing the audience, and the jobs that send them.

A broadcast goes ``scheduled`` → ``sending`` (⇄ ``paused``) → ``completed``; or ``cancelled``; or ``failed`` when
it cannot start (its target broke, or the quota refuses it).

1. **Created** (API): checked, estimated and stored ``scheduled``, with ``send_at`` now or at the scheduled time
   plus a random spread of up to ``ENISHI_BROADCAST_SPREAD_SECONDS`` (120), so the many broadcasts set for 00:00
   do not all reach LINE in the same second. The job ``core.run_broadcast`` is queued for ``send_at``.
2. **Started** (the job, at ``send_at``), in one transaction: the target and the quota are checked again (a send
   that does not fit is refused unless ``allow_partial``, which sends to as many as fit, oldest friends first),
   and the recipients are frozen into ``broadcast_recipients`` with one INSERT … SELECT, numbered in friend id
   order. **The audience is fixed here, when sending starts**: a friend tagged after the broadcast was scheduled
   is in it, one who blocked the account meanwhile is not.
3. **Dispatched** (:mod:`enishi.delivery.dispatcher`): the dispatcher holding the broadcast's lease writes the
   next window of batches to the outbox (``line_requests`` rows, each with its retry key, written already claimed
   by the dispatcher) and moves the broadcast's ``written`` frontier in the same transaction, which only succeeds
   while the broadcast is ``sending``, so a pause or a cancel stops it at the next window; then it sends them (the
   outbox's ``call_claimed``, paced by the shared per-channel rate limiter), ``ENISHI_BROADCAST_CONCURRENCY`` (8)
   at a time while the next window is written, and records a window's outcomes in one transaction
   (``record_outcomes``). Messages without variables go by multicast, 500 recipients a batch, put together by
   the database; personalised ones are filled in per friend (each source loaded once per window) and go by push.
4. **Settled**: the outbox counts each request's recipients as sent or failed (:mod:`enishi.delivery.progress`)
   in the transaction that records it, and the broadcast completes when all are accounted for. Retries (5xx,
   time-outs, 429) and the quota hold are the outbox's own.

A dispatcher killed at any moment loses and repeats nothing: the rows it wrote are in the outbox (whose sweeper
sends them once their claim runs out), the frontier moved with them, every request keeps its retry key (a repeat
is LINE's 409, counted once), and when its lease (``ENISHI_BROADCAST_LEASE_SECONDS``, 30) runs out
``core.sweep_broadcasts`` queues the job again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.db.engine import upsert_insert
from enishi.delivery import compose, progress, quota
from enishi.delivery.dispatcher import RUN_JOB, SOURCE, DeliverySettings, Dispatcher
from enishi.delivery.test_send import TEST_SOURCE, CannotTest, TestSend, send_test
from enishi.jobs.after_commit import enqueue_after_commit, enqueue_quietly
from enishi.jobs.workspace_state import WorkspaceState, workspace_context, workspace_state
from enishi.line import variables
from enishi.models import Friend, LineRequest, Workspace
from enishi.models.broadcasts import Broadcast, BroadcastRecipient
from enishi.registry import Registered, Registry
from enishi.types import JobType, Schedule

log = logging.getLogger("enishi.delivery")

# Importable from here as well: the routes, the core plugin and the tests reach the engine through this module.
__all__ = [
    "RUN_JOB",
    "SOURCE",
    "TEST_SOURCE",
    "CannotTest",
    "DeliverySettings",
    "Dispatcher",
    "NotAllowed",
    "TestSend",
    "by_idempotency_key",
    "cancel",
    "create",
    "freeze",
    "pause",
    "register_delivery_jobs",
    "resume",
    "run_broadcast",
    "send_now",
    "send_test",
    "send_time",
    "start",
    "sweep_broadcasts",
]


class NotAllowed(Exception):
    """A pause, resume or cancel the broadcast's status does not allow."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"a {status} broadcast cannot be {action}")
        self.status = status
        self.action = action


# ---- creating ----------------------------------------------------------------------------------------------


def send_time(
    scheduled_at: datetime | None, now: datetime, spread: float, rng: random.Random | None = None
) -> datetime:
    """When sending starts: now, or the scheduled time plus a random 0–``spread`` seconds."""
    if scheduled_at is None:
        return now
    return scheduled_at + timedelta(seconds=(rng or random).uniform(0.0, spread))


async def create(
    ctx: WorkspaceContext,
    *,
    name: str,
    messages: list[dict[str, Any]],
    target: Mapping[str, Any],
    scheduled_at: datetime | None,
    allow_partial: bool,
    estimated_recipients: int,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> tuple[Broadcast, bool]:
    """Store a checked broadcast and queue its start (after commit); True when it is new.

    With an ``idempotency_key`` already used in the workspace the earlier broadcast is returned instead (also
    when two such requests race): a double click sends once.
    """
    config = DeliverySettings.from_settings(ctx.settings)
    now = utcnow()
    values = {
        "workspace_id": ctx.workspace_id,
        "name": name,
        "messages": messages,
        "target": compose.normalised(target),
        "delivery": compose.delivery_of(messages),
        "status": "scheduled",
        "allow_partial": allow_partial,
        "scheduled_at": scheduled_at,
        "send_at": send_time(scheduled_at, now, config.spread),
        "estimated_recipients": estimated_recipients,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "created_by": ctx.actor_user_id,
        "created_at": now,
        "updated_at": now,
    }
    stmt = upsert_insert(ctx.session, Broadcast).on_conflict_do_nothing(
        index_elements=["workspace_id", "idempotency_key"]
    )
    new_id = await ctx.session.scalar(stmt.values(**values).returning(Broadcast.id))
    if new_id is None:
        existing = await by_idempotency_key(ctx, str(idempotency_key))
        assert existing is not None
        return existing, False
    broadcast = await ctx.session.get_one(Broadcast, new_id)
    _run_after_commit(ctx.session, ctx.jobs, broadcast)
    return broadcast, True


async def by_idempotency_key(ctx: WorkspaceContext, key: str) -> Broadcast | None:
    return await ctx.session.scalar(select(Broadcast).where(Broadcast.idempotency_key == key))


def _run_after_commit(session: AsyncSession, jobs: Any, broadcast: Broadcast) -> None:
    due = broadcast.send_at if broadcast.send_at > utcnow() else None
    job_id = f"broadcast:{broadcast.id}:{broadcast.dispatch_runs}"
    enqueue_after_commit(session, jobs, RUN_JOB, job_id=job_id, defer_until=due, broadcast_id=broadcast.id)


# ---- pause, resume, cancel -----------------------------------------------------------------------------------


async def pause(ctx: WorkspaceContext, broadcast_id: int) -> Broadcast:
    """Stop writing and sending further batches; requests already handed to LINE finish."""
    return await _change(
        ctx, broadcast_id, "paused", ("sending",), status="paused", paused_at=utcnow(), lease_until=None
    )


async def resume(ctx: WorkspaceContext, broadcast_id: int) -> Broadcast:
    now = utcnow()
    broadcast = await _change(ctx, broadcast_id, "resumed", ("paused",), status="sending", paused_at=None)
    if await progress.finish_if_done(ctx.session, broadcast.id, now):
        await ctx.session.refresh(broadcast)
    else:
        _run_after_commit(ctx.session, ctx.jobs, broadcast)
    return broadcast


async def send_now(ctx: WorkspaceContext, broadcast_id: int) -> Broadcast:
    """A scheduled broadcast starts now: its job is queued again under a new id (the deferred one, when its time
    comes, finds it started and does nothing)."""
    broadcast = await _change(
        ctx,
        broadcast_id,
        "sent now",
        ("scheduled",),
        send_at=utcnow(),
        scheduled_at=None,
        dispatch_runs=Broadcast.dispatch_runs + 1,
    )
    _run_after_commit(ctx.session, ctx.jobs, broadcast)
    return broadcast


async def cancel(ctx: WorkspaceContext, broadcast_id: int) -> Broadcast:
    """Stop for good: recipients not yet written, and batches written but not sent, are counted cancelled."""
    now = utcnow()
    unwritten = func.coalesce(Broadcast.total - Broadcast.written, 0)
    broadcast = await _change(
        ctx,
        broadcast_id,
        "cancelled",
        ("scheduled", "sending", "paused"),
        status="cancelled",
        finished_at=now,
        lease_until=None,
        paused_at=None,
        cancelled=Broadcast.cancelled + unwritten,
    )
    stopped = (
        await ctx.session.execute(
            update(LineRequest)
            .where(LineRequest.broadcast_id == broadcast.id, LineRequest.status.in_(("pending", "held")))
            .values(status="failed", error=progress.CANCELLED)
            .returning(LineRequest.friend_ids, LineRequest.recipients)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if stopped:
        count = sum(len(friend_ids) or len(recipients) for friend_ids, recipients in stopped)
        await ctx.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast.id)
            .values(cancelled=Broadcast.cancelled + count)
            .execution_options(synchronize_session=False)
        )
        await ctx.session.refresh(broadcast)
    return broadcast


async def _change(
    ctx: WorkspaceContext, broadcast_id: int, action: str, allowed: Sequence[str], **values: Any
) -> Broadcast:
    changed = (
        await ctx.session.scalars(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status.in_(allowed))
            .values(updated_at=utcnow(), **values)
            .returning(Broadcast)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if changed is not None:
        return changed
    current = await ctx.session.get(Broadcast, broadcast_id)
    if current is None:
        raise LookupError(f"broadcast {broadcast_id} not found")
    raise NotAllowed(current.status, action)


# ---- the job -----------------------------------------------------------------------------------------------


async def run_broadcast(ctx: JobContext, broadcast_id: int) -> str:
    """Job ``core.run_broadcast``: start the broadcast if it is due, then write and send its batches."""
    async with ctx.db.session() as s:
        row = (
            await s.execute(select(Broadcast.status, Broadcast.send_at).where(Broadcast.id == broadcast_id))
        ).one_or_none()
    if row is None:
        return "missing"
    status, send_at = row
    if status == "scheduled":
        if send_at > utcnow():
            return "not_due"
        status = await start(ctx, broadcast_id)
    if status == "sending":
        return await Dispatcher.run(ctx, broadcast_id)
    return status


async def start(ctx: JobContext, broadcast_id: int) -> str:
    """Fix the audience (one INSERT … SELECT) and begin sending, or refuse; one transaction."""
    async with ctx.db.session() as s:
        workspace_id = await s.scalar(select(Broadcast.workspace_id).where(Broadcast.id == broadcast_id))
    if workspace_id is None:
        return "missing"
    state = await workspace_state(ctx, workspace_id)
    await _fresh_quota(ctx, workspace_id, state)  # a job may ask LINE; never inside the transaction below
    async with ctx.db.transaction(workspace_id) as s:
        now = utcnow()
        broadcast = (
            await s.scalars(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.status == "scheduled", Broadcast.send_at <= now)
                .values(status="sending", started_at=now, updated_at=now)
                .returning(Broadcast)
                .execution_options(populate_existing=True)
            )
        ).one_or_none()
        if broadcast is None:  # started by another worker, cancelled, or not due
            current = await s.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
            return str(current or "missing")
        wctx = workspace_context(ctx, s, workspace_id, state, now)
        # The messages passed LINE's rules when they were saved; their variables may have gone since (a field
        # deleted, a plugin switched off), and so may what the target names.
        problems = await compose.target_problems(wctx, broadcast.target)
        problems += await variables.problems(wctx, broadcast.messages, "$.messages")
        if problems:
            return _fail(
                broadcast,
                now,
                "配信先かメッセージが使えなくなりました / the target or the messages are no "
                "longer valid: " + "; ".join(f"{p.path}: {p.message}" for p in problems[:5]),
            )
        audience = await compose.audience_of(wctx, broadcast.target)
        # Freeze first (its row count is the audience): the quota check needs no scan of its own.
        frozen = await s.begin_nested()
        total = await freeze(wctx, broadcast.id, audience)
        estimate = await quota.estimate(wctx, total, broadcast.delivery, refresh=False, besides=broadcast.id, now=now)
        if not estimate.fits:
            if not broadcast.allow_partial or estimate.sendable == 0:
                await frozen.rollback()
                reasons = "; ".join(w.message for w in estimate.warnings if w.code != "quota_stale")
                return _fail(broadcast, now, f"通数が足りないため送信しませんでした / not sent: {reasons}")
            # A partial send: the oldest friends, as many as fit.
            await s.execute(
                delete(BroadcastRecipient)
                .where(BroadcastRecipient.broadcast_id == broadcast.id, BroadcastRecipient.position > estimate.sendable)
                .execution_options(synchronize_session=False)
            )
            total = broadcast.limited_to = estimate.sendable
        await frozen.commit()
        broadcast.total = total
        await progress.add_count_rows(s, workspace_id, broadcast.id)
        if broadcast.total == 0:
            broadcast.status, broadcast.finished_at = "completed", now
        log.info("broadcast %s: sending to %d recipients by %s", broadcast.id, broadcast.total, broadcast.delivery)
        return broadcast.status


async def freeze(ctx: WorkspaceContext, broadcast_id: int, audience: compose.Audience) -> int:
    """Number the audience's friends into ``broadcast_recipients`` with one INSERT … SELECT; how many there are."""
    numbered = compose.recipients_query(ctx, audience).with_only_columns(
        literal(broadcast_id, BigInteger),
        func.row_number().over(order_by=Friend.id),
        literal(ctx.workspace_id, BigInteger),
        Friend.id,
    )
    result = await ctx.session.execute(
        insert(BroadcastRecipient).from_select(["broadcast_id", "position", "workspace_id", "friend_id"], numbered)
    )
    count = getattr(result, "rowcount", -1)
    if count is None or count < 0:  # a driver that does not count: ask
        count = await ctx.session.scalar(select(func.count()).where(BroadcastRecipient.broadcast_id == broadcast_id))
    return int(count or 0)


def _fail(broadcast: Broadcast, now: datetime, error: str) -> str:
    broadcast.status, broadcast.error, broadcast.finished_at = "failed", error[:2000], now
    log.warning("broadcast %s failed to start: %s", broadcast.id, error)
    return "failed"


async def _fresh_quota(ctx: JobContext, workspace_id: int, state: WorkspaceState) -> None:
    async with ctx.db.session(workspace_id) as s:
        view = await quota.quota_view(workspace_context(ctx, s, workspace_id, state), refresh=False)
    if view.stale:
        await quota.refresh_line_quota(ctx, workspace_id)


# ---- the sweeper ---------------------------------------------------------------------------------------------


async def sweep_broadcasts(ctx: JobContext) -> int:
    """Schedule: queue broadcasts that are due, or still have batches to write and no live dispatcher."""
    now = utcnow()
    held = exists().where(Workspace.id == Broadcast.workspace_id, Workspace.quota_exhausted_at.is_not(None))
    async with ctx.db.session() as s:
        due = (
            await s.execute(
                select(Broadcast.id, Broadcast.dispatch_runs)
                .where(
                    or_(
                        (Broadcast.status == "scheduled") & (Broadcast.send_at <= now),
                        (Broadcast.status == "sending")
                        & (Broadcast.written < Broadcast.total)
                        & or_(Broadcast.lease_until.is_(None), Broadcast.lease_until < now)
                        & ~held,
                    )
                )
                .order_by(Broadcast.send_at)
                .limit(100)
            )
        ).all()
    for broadcast_id, runs in due:
        await enqueue_quietly(ctx.jobs, RUN_JOB, f"broadcast:{broadcast_id}:{runs}", None, broadcast_id=broadcast_id)
    async with ctx.db.transaction() as s:  # a safety net: everything accounted for but not marked completed
        await s.execute(
            update(Broadcast)
            .where(*progress.all_accounted_for())
            .values(status="completed", finished_at=now, lease_until=None, paused_at=None)
            .execution_options(synchronize_session=False)
        )
    return len(due)


def register_delivery_jobs(registry: Registry) -> None:
    """``core.run_broadcast``, ``core.refresh_line_quota`` and the schedule ``core.sweep_broadcasts`` (15 s)."""
    from enishi.version import CORE_API_VERSION

    items: tuple[JobType | Schedule, ...] = (
        JobType(name="run_broadcast", fn=run_broadcast, timeout=timedelta(minutes=10)),
        JobType(name="refresh_line_quota", fn=quota.refresh_line_quota, timeout=timedelta(minutes=1)),
        Schedule(name="sweep_broadcasts", fn=sweep_broadcasts, every=timedelta(seconds=15)),
    )
    for item in items:
        registry.add(
            "jobs", Registered(key=f"core.{item.name}", plugin="core", plugin_version=CORE_API_VERSION, item=item)
        )
