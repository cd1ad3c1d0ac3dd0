"""Broadcast delivery: scheduling, fixing the audience, writing batches to the outbox and sending them.

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
3. **Dispatched**: the dispatcher holding the broadcast's lease writes the next window of batches to the outbox
   (``line_requests`` rows, each with its retry key, written already claimed by the dispatcher) and moves the
   broadcast's ``written`` frontier in the same transaction, which only succeeds while the broadcast is
   ``sending``, so a pause or a cancel stops it at the next window; then it sends them (the outbox's
   ``call_claimed``, paced by the shared per-channel rate limiter), ``ENISHI_BROADCAST_CONCURRENCY`` (8) at a
   time while the next window is written, and records a window's outcomes in one transaction
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

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.db.engine import dialect_of, upsert_insert
from enishi.delivery import compose, progress, quota
from enishi.jobs.after_commit import enqueue_after_commit, enqueue_quietly
from enishi.jobs.workspace_state import WorkspaceState, workspace_context, workspace_state
from enishi.line import variables
from enishi.line.channels import MAX_MULTICAST, load_channel
from enishi.line.errors import Outcome
from enishi.line.outbox import OutboxRequest, OutboxSettings, call_claimed, record_outcomes, record_requests
from enishi.models import Friend, LineRequest, Workspace
from enishi.models.broadcasts import Broadcast, BroadcastRecipient
from enishi.registry import Registered, Registry
from enishi.schema_validation import SchemaProblem
from enishi.settings import Settings, env_float, env_int
from enishi.types import JobType, Schedule

log = logging.getLogger("enishi.delivery")

RUN_JOB = "core.run_broadcast"
SOURCE = "broadcast"
TEST_SOURCE = "broadcast_test"


@dataclass(frozen=True, kw_only=True)
class DeliverySettings:
    spread: float = 120.0  # seconds of random delay added to a scheduled time
    concurrency: int = 8  # requests in flight per broadcast
    window: int = 8  # multicast batches written per transaction
    push_window: int = 200  # personalised pushes written per transaction
    lease: timedelta = timedelta(seconds=30)
    run_for: timedelta = timedelta(minutes=4)  # then the job hands over to a fresh one

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliverySettings:
        env = settings.extra
        concurrency = env_int(env, "ENISHI_BROADCAST_CONCURRENCY", 8, 1, 256)
        return cls(
            spread=env_float(env, "ENISHI_BROADCAST_SPREAD_SECONDS", 120.0, 0.0, 3600.0),
            concurrency=concurrency,
            window=env_int(env, "ENISHI_BROADCAST_WINDOW", concurrency, 1, 1000),
            push_window=env_int(env, "ENISHI_BROADCAST_PUSH_WINDOW", 200, 1, 5000),
            lease=timedelta(seconds=env_float(env, "ENISHI_BROADCAST_LEASE_SECONDS", 30.0, 1.0, 3600.0)),
            run_for=timedelta(seconds=env_float(env, "ENISHI_BROADCAST_RUN_SECONDS", 240.0, 1.0, 3600.0)),
        )


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


class Dispatcher:
    """Writes a broadcast's batches window by window and sends them, while it holds the broadcast's lease."""

    def __init__(self, ctx: JobContext, broadcast_id: int, lease: int, row: Any, state: WorkspaceState) -> None:
        self.ctx = ctx
        self.id = broadcast_id
        self.lease = lease  # dispatch_runs when it was taken: a later holder has a higher number
        self.workspace_id: int = row.workspace_id
        self.delivery: str = row.delivery
        self.messages: list[dict[str, Any]] = row.messages
        self.written: int = row.written
        self.total: int = row.total
        self.state = state
        self.config = DeliverySettings.from_settings(ctx.settings)
        self.outbox = OutboxSettings.from_settings(ctx.settings)
        self.variables = variables.used(self.messages)

    @classmethod
    async def run(cls, ctx: JobContext, broadcast_id: int) -> str:
        config = DeliverySettings.from_settings(ctx.settings)
        async with ctx.db.transaction() as s:
            now = utcnow()
            row = (
                await s.execute(
                    update(Broadcast)
                    .where(
                        Broadcast.id == broadcast_id,
                        Broadcast.status == "sending",
                        Broadcast.written < Broadcast.total,
                        or_(Broadcast.lease_until.is_(None), Broadcast.lease_until < now),
                    )
                    .values(lease_until=now + config.lease, dispatch_runs=Broadcast.dispatch_runs + 1)
                    .returning(
                        Broadcast.workspace_id,
                        Broadcast.dispatch_runs,
                        Broadcast.delivery,
                        Broadcast.messages,
                        Broadcast.written,
                        Broadcast.total,
                    )
                    .execution_options(synchronize_session=False)
                )
            ).one_or_none()
        if row is None:
            return "busy_or_done"
        dispatcher = cls(ctx, broadcast_id, row.dispatch_runs, row, await workspace_state(ctx, row.workspace_id))
        return await dispatcher.dispatch()

    async def dispatch(self) -> str:
        """Write windows of batches and send them, ``concurrency`` requests at a time, while writing is allowed.

        The rows of a window are written already claimed by this dispatcher (the outbox's ``claim_for``) and
        their outcomes are recorded together, in one transaction per window; the next window is written while
        one is on its way. A dispatcher that dies leaves its claimed rows to the outbox's sweeper once the claim
        runs out, and their retry keys make LINE answer 409 for those it had already accepted.
        """
        async with self.ctx.db.session() as s:
            channel = await load_channel(s, self.workspace_id)
        if channel is None:
            return "missing"
        from enishi.line.gateway import gateway_for  # the LINE SDK loads when a broadcast is first sent

        gateway = gateway_for(self.ctx.settings)
        calls = asyncio.Semaphore(self.config.concurrency)  # requests in flight
        windows = asyncio.Semaphore(2)  # windows written and not yet recorded
        deadline = time.monotonic() + self.config.run_for.total_seconds()
        running: set[asyncio.Task[None]] = set()

        async def call(row: LineRequest) -> Outcome:
            async with calls:
                return await call_claimed(gateway, channel, row, self.outbox)

        async def send(rows: list[LineRequest]) -> None:
            try:
                outcomes = await asyncio.gather(*(call(row) for row in rows))
                await record_outcomes(
                    self.ctx.db, list(zip(rows, outcomes, strict=True)), config=self.outbox, jobs=self.ctx.jobs
                )
            except Exception:  # the rows stay claimed in the outbox; its sweeper sends them once the claim is over
                log.exception("broadcast %s: sending %d requests failed", self.id, len(rows))
            finally:
                windows.release()

        try:
            while self.written < self.total and time.monotonic() < deadline:
                await windows.acquire()
                rows = await self.write_window()
                sendable = [row for row in rows or () if row.status == "sending"]  # not held for the quota
                if not sendable:
                    windows.release()
                    if rows is None:
                        break
                    continue
                task = asyncio.create_task(send(sendable))
                running.add(task)
                task.add_done_callback(running.discard)
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)
        async with self.ctx.db.transaction() as s:  # the last requests may have settled side by side
            await progress.finish_if_done(s, self.id, utcnow())
        return await self.hand_over()

    async def write_window(self) -> list[LineRequest] | None:
        """Write the next batches to the outbox and move the frontier, in one transaction; None to stop."""
        start = self.written
        size = self.config.window * MAX_MULTICAST if self.delivery == "multicast" else self.config.push_window
        end = min(start + size, self.total)
        async with self.ctx.db.transaction(self.workspace_id) as s:
            now = utcnow()
            held = exists().where(Workspace.id == Broadcast.workspace_id, Workspace.quota_exhausted_at.is_not(None))
            moved = await s.execute(
                update(Broadcast)
                .where(
                    Broadcast.id == self.id,
                    Broadcast.status == "sending",
                    Broadcast.written == start,
                    Broadcast.dispatch_runs == self.lease,
                    ~held,
                )
                .values(written=end, lease_until=now + self.config.lease)
                .execution_options(synchronize_session=False)
            )
            if not getattr(moved, "rowcount", 0):
                return None  # paused, cancelled, on a quota hold, or another dispatcher took over
            if self.delivery == "multicast":
                requests, skipped = await self._multicasts(s, start, end)
            else:
                requests, skipped = await self._pushes(
                    workspace_context(self.ctx, s, self.workspace_id, self.state, now), start, end
                )
            written = await record_requests(
                s, self.workspace_id, requests, source=SOURCE, broadcast_id=self.id, claim_for=self.outbox.lease
            )
            if skipped:
                await s.execute(
                    update(Broadcast)
                    .where(Broadcast.id == self.id)
                    .values(skipped=Broadcast.skipped + skipped)
                    .execution_options(synchronize_session=False)
                )
                await progress.finish_if_done(s, self.id, now)
        self.written = end
        return written

    def _window(self, start: int, end: int) -> tuple[Any, Any, Any]:
        """The window's recipients joined to their friends, as plain table columns (no ORM loading for thousands
        of rows), and the condition for a friend who still gets it: not deleted, not blocked since."""
        recipients, friends = BroadcastRecipient.__table__.c, Friend.__table__.c
        joined = BroadcastRecipient.__table__.outerjoin(
            Friend.__table__, (friends.id == recipients.friend_id) & (friends.workspace_id == self.workspace_id)
        )
        where = (
            (recipients.workspace_id == self.workspace_id)
            & (recipients.broadcast_id == self.id)
            & (recipients.position > start)
            & (recipients.position <= end)
        )
        return joined, where, friends.status == "following"

    async def _multicasts(self, session: AsyncSession, start: int, end: int) -> tuple[list[OutboxRequest], int]:
        """The window's multicast batches, each friend's id list put together by the database (one row a batch)."""
        joined, where, live = self._window(start, end)
        recipients, friends = BroadcastRecipient.__table__.c, Friend.__table__.c
        batch = ((recipients.position - 1) // MAX_MULTICAST).label("batch")
        gather = func.json_agg if dialect_of(session) == "postgresql" else func.json_group_array
        rows = await session.execute(
            select(
                batch,
                func.count(),
                gather(friends.line_user_id, type_=JSON).filter(live),
                gather(friends.id, type_=JSON).filter(live),
            )
            .select_from(joined)
            .where(where)
            .group_by(batch)
            .order_by(batch)
        )
        requests, skipped = [], 0
        for n, planned, users, friend_ids in rows.all():
            users, friend_ids = users or [], friend_ids or []
            skipped += planned - len(users)  # deleted, or blocked since the audience was fixed
            if users:
                requests.append(
                    OutboxRequest(f"broadcast:{self.id}:{n}", "multicast", users, friend_ids, self.messages)
                )
        return requests, skipped

    async def _pushes(self, ctx: WorkspaceContext, start: int, end: int) -> tuple[list[OutboxRequest], int]:
        """One push per friend of the window, with the friend's own values filled in."""
        joined, where, live = self._window(start, end)
        recipients, friends = BroadcastRecipient.__table__.c, Friend.__table__.c
        rows = (
            await ctx.session.execute(
                select(recipients.position, friends.id, friends.line_user_id, friends.display_name)
                .select_from(joined)
                .where(where, live)
                .order_by(recipients.position)
            )
        ).all()
        values = await variables.values_for_many(
            ctx, [r.id for r in rows], self.variables, display_names={r.id: r.display_name for r in rows}
        )
        requests = []
        for row in rows:
            messages = variables.expand(self.messages, values[row.id])
            if variables.grew(self.messages, messages):
                messages, problems = variables.fit_to_line(messages)
                if problems:
                    log.warning("broadcast %s: not sent to friend %s: %s", self.id, row.id, problems[0].message)
                    continue
            requests.append(
                OutboxRequest(f"broadcast:{self.id}:{row.position}", "push", [row.line_user_id], [row.id], messages)
            )
        return requests, (end - start) - len(requests)

    async def hand_over(self) -> str:
        """Give the lease back; if batches are left (the time budget ran out), queue the next run at once."""
        async with self.ctx.db.transaction() as s:
            left = (
                await s.execute(
                    update(Broadcast)
                    .where(Broadcast.id == self.id, Broadcast.dispatch_runs == self.lease)
                    .values(lease_until=None)
                    .returning(Broadcast.status, Broadcast.written, Broadcast.total, Broadcast.dispatch_runs)
                    .execution_options(synchronize_session=False)
                )
            ).one_or_none()
            held = await s.scalar(select(Workspace.quota_exhausted_at).where(Workspace.id == self.workspace_id))
        if left is None:
            return "handed_over"
        status, written, total, runs = left
        if status == "sending" and written < (total or 0) and held is None:
            job_id = f"broadcast:{self.id}:{runs}"
            await enqueue_quietly(self.ctx.jobs, RUN_JOB, job_id, None, broadcast_id=self.id)
            return "continues"
        return "held" if held is not None and status == "sending" else "written"


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


# ---- test sends ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestSend:
    request_id: int
    status: str  # pending, held (quota used up)
    line_user_id: str
    friend_id: int | None
    messages: list[dict[str, Any]]  # as sent, variables filled in


class CannotTest(ValueError):
    def __init__(self, problems: list[SchemaProblem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


async def send_test(
    ctx: WorkspaceContext,
    messages: list[dict[str, Any]],
    *,
    friend_id: int | None = None,
    line_user_id: str | None = None,
) -> TestSend:
    """Push checked messages to one LINE user (a staff member's own account, or a simulated user of the emulator),
    filled in with that friend's values (defaults for a user who is not a friend); sent after commit."""
    friend = None
    if friend_id is not None:
        friend = await ctx.session.get(Friend, friend_id)
        if friend is None:
            raise LookupError(f"friend {friend_id} not found")
    else:
        friend = await ctx.session.scalar(select(Friend).where(Friend.line_user_id == line_user_id))
        if friend is None and not ctx.settings.emulator:
            raise CannotTest(
                [
                    SchemaProblem(
                        "$.to.user_line_id", "友だちではないユーザーには送れません / not a friend of the account"
                    )
                ]
            )
    if friend is not None and friend.status != "following":
        raise CannotTest(
            [SchemaProblem("$.to", "ブロック中の友だちには送れません / the friend has blocked the account")]
        )
    used = variables.used(messages)
    values: variables.Values = {v.name: None for v in used}
    if friend is not None and used:
        values = (await variables.values_for_many(ctx, [friend.id], used))[friend.id]
    expanded = variables.expand(messages, values)
    if variables.grew(messages, expanded):
        expanded, problems = variables.fit_to_line(expanded)
        if problems:
            raise CannotTest(problems)
    to = friend.line_user_id if friend is not None else str(line_user_id)
    [row] = await record_requests(
        ctx.session,
        ctx.workspace_id,
        [OutboxRequest(f"broadcast-test:{uuid.uuid4()}", "push", [to], [friend.id] if friend else [], expanded)],
        source=TEST_SOURCE,
        sent_by_user_id=ctx.actor_user_id,
        jobs=ctx.jobs,
    )
    return TestSend(row.id, row.status, to, friend.id if friend else None, expanded)


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
