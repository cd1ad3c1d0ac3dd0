"""Sending a started broadcast: the dispatcher holding its lease writes the next window of batches to the outbox
and sends them, window after window, until it is written out, paused, cancelled, held for the quota or out of time.

:mod:`enishi.delivery.engine` describes the whole course of a broadcast; this is its third step. A window's rows
are written already claimed by the dispatcher, together with the move of the broadcast's ``written`` frontier, in
one transaction that only succeeds while the broadcast is ``sending`` and the lease is still this dispatcher's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import JSON, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.db.engine import dialect_of
from enishi.delivery import progress
from enishi.jobs.after_commit import enqueue_quietly
from enishi.jobs.workspace_state import WorkspaceState, workspace_context, workspace_state
from enishi.line import variables
from enishi.line.channels import MAX_MULTICAST, load_channel
from enishi.line.errors import Outcome
from enishi.line.outbox import OutboxRequest, OutboxSettings, call_claimed, record_outcomes, record_requests
from enishi.models import Friend, LineRequest, Workspace
from enishi.models.broadcasts import Broadcast, BroadcastRecipient
from enishi.settings import Settings, env_float, env_int

log = logging.getLogger("enishi.delivery")

RUN_JOB = "core.run_broadcast"
SOURCE = "broadcast"


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
