"""A broadcast's progress: recipients counted as their outbox requests settle, and what the UI is shown.

The outbox tells :func:`count_broadcast_sends` (which the core plugin installs with ``enishi.line.outbox.on_settled``)
of the requests it settles, in the transaction that records their outcomes, and only the worker that still holds
a request's claim records it, so each request is counted exactly once. The counts are spread
over a few rows per broadcast (``broadcast_counts``), so concurrent senders do not queue on one row lock, and
progress is a sum over those few rows however many recipients there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.delivery import quota
from enishi.jobs.after_commit import enqueue_after_commit
from enishi.jobs.queue import JobQueue
from enishi.line.channels import MAX_MULTICAST
from enishi.line.ratelimit import RateLimitSettings
from enishi.models import LineRequest
from enishi.models.broadcasts import COUNT_SHARDS, Broadcast, BroadcastCount

CANCELLED = "配信を中止しました / the broadcast was cancelled"


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    failed: int = 0  # requests LINE refused (or given up on), recipients only


async def add_count_rows(session: AsyncSession, workspace_id: int, broadcast_id: int) -> None:
    await session.execute(
        insert(BroadcastCount),
        [{"workspace_id": workspace_id, "broadcast_id": broadcast_id, "shard": n} for n in range(COUNT_SHARDS)],
    )


async def count_broadcast_sends(
    session: AsyncSession, settled: Sequence[tuple[LineRequest, str]], now: datetime, jobs: JobQueue | None
) -> None:
    """The outbox's listener for settled requests: counts those of broadcasts (see :func:`count_settled`)."""
    of_broadcasts = [(row, status) for row, status in settled if row.broadcast_id is not None]
    if of_broadcasts:
        await count_settled(session, of_broadcasts, now, jobs)


async def count_settled(
    session: AsyncSession, settled: Sequence[tuple[LineRequest, str]], now: datetime, jobs: JobQueue | None
) -> None:
    """Count settled requests' recipients as sent (``accepted``) or failed; finish broadcasts whose all are.

    Called by the outbox in the transaction that records the outcomes, with the rows whose claims it still held.
    """
    # One count row per broadcast and transaction (the first request's shard): any row keeps the sum exact.
    adds: dict[tuple[int, int], list[int]] = {}
    workspaces: dict[int, int] = {}
    shards: dict[int, int] = {}
    for row, status in settled:
        assert row.broadcast_id is not None
        workspaces[row.broadcast_id] = row.workspace_id
        shard_no = shards.setdefault(row.broadcast_id, row.id % COUNT_SHARDS)
        shard = adds.setdefault((row.broadcast_id, shard_no), [0, 0])
        shard[0 if status == "accepted" else 1] += len(row.friend_ids) or len(row.recipients)
    for (broadcast_id, shard_no), (sent, failed) in sorted(adds.items()):
        await session.execute(
            update(BroadcastCount)
            .where(BroadcastCount.broadcast_id == broadcast_id, BroadcastCount.shard == shard_no)
            .values(sent=BroadcastCount.sent + sent, failed=BroadcastCount.failed + failed)
            .execution_options(synchronize_session=False)
        )
    for broadcast_id, workspace_id in workspaces.items():
        if await finish_if_done(session, broadcast_id, now) and jobs is not None:
            # What was just sent is in LINE's consumption now: fetch it, so the next estimate counts it.
            job_id = f"line_quota:{workspace_id}"
            enqueue_after_commit(session, jobs, quota.REFRESH_JOB, job_id=job_id, workspace_id=workspace_id)


async def finish_if_done(session: AsyncSession, broadcast_id: int | None, now: datetime) -> bool:
    """Mark the broadcast completed once every recipient is written and accounted for.

    Only the broadcast's own row is touched, and only when it matches, so settling requests do not queue on it.
    """
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, *all_accounted_for())
        .values(status="completed", finished_at=now, lease_until=None, paused_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def all_accounted_for() -> tuple[ColumnElement[bool], ...]:
    """A sending (or paused) broadcast whose recipients are all written and sent, failed, skipped or cancelled."""
    settled = (
        select(func.coalesce(func.sum(BroadcastCount.sent + BroadcastCount.failed), 0))
        .where(BroadcastCount.broadcast_id == Broadcast.id)
        .scalar_subquery()
    )
    return (
        Broadcast.status.in_(("sending", "paused")),
        Broadcast.total.is_not(None),
        Broadcast.written >= Broadcast.total,
        Broadcast.skipped + Broadcast.cancelled + settled >= Broadcast.total,
    )


async def counts_of(session: AsyncSession, broadcast_ids: Sequence[int]) -> dict[int, Counts]:
    """Sent and failed recipients of these broadcasts (one query over their count rows)."""
    if not broadcast_ids:
        return {}
    rows = await session.execute(
        select(BroadcastCount.broadcast_id, func.sum(BroadcastCount.sent), func.sum(BroadcastCount.failed))
        .where(BroadcastCount.broadcast_id.in_(list(broadcast_ids)))
        .group_by(BroadcastCount.broadcast_id)
    )
    return {bid: Counts(int(sent or 0), int(failed or 0)) for bid, sent, failed in rows.all()}


@dataclass(frozen=True)
class Progress:
    total: int | None  # None until sending starts (the audience is fixed then)
    written: int  # recipients whose requests are in the outbox
    sent: int
    failed: int  # refused by LINE, or left out (blocked or deleted since the audience was fixed)
    cancelled: int
    remaining: int
    percent: float
    rate_per_second: float | None  # recipients a second: as measured, or what the rate limit allows
    estimated_finish_at: datetime | None


def progress_of(broadcast: Broadcast, counts: Counts, now: datetime, rates: RateLimitSettings) -> Progress:
    failed = counts.failed + broadcast.skipped
    done = counts.sent + failed + broadcast.cancelled
    planned = broadcast.total if broadcast.total is not None else broadcast.estimated_recipients
    remaining = max(planned - done, 0)
    percent = round(100.0 * done / planned, 1) if planned else (100.0 if broadcast.total == 0 else 0.0)
    rate = _measured_rate(broadcast, counts.sent + failed, now) or _allowed_rate(broadcast.delivery, rates)
    finish = None
    if broadcast.status in ("scheduled", "sending") and remaining and rate:
        start = max(now, broadcast.send_at) if broadcast.status == "scheduled" else now
        finish = start + timedelta(seconds=remaining / rate)
    return Progress(
        total=broadcast.total,
        written=broadcast.written,
        sent=counts.sent,
        failed=failed,
        cancelled=broadcast.cancelled,
        remaining=remaining if broadcast.status not in ("completed", "cancelled", "failed") else 0,
        percent=percent,
        rate_per_second=round(rate, 1) if rate else None,
        estimated_finish_at=finish,
    )


def _measured_rate(broadcast: Broadcast, counted: int, now: datetime) -> float | None:
    if broadcast.started_at is None or counted == 0:
        return None
    elapsed = ((broadcast.finished_at or now) - broadcast.started_at).total_seconds()
    # While it runs, a second's worth of sending says more than the first batch; once done, it is what it was.
    steady = broadcast.finished_at is not None or elapsed >= 1.0
    return counted / elapsed if steady and elapsed > 0 else None


def _allowed_rate(delivery: str, rates: RateLimitSettings) -> float | None:
    if not rates.enabled:
        return None
    rate = rates.rate("push" if delivery == "push" else "multicast")
    per_request = 1 if delivery == "push" else MAX_MULTICAST
    return rate.limit / rate.period * per_request


def request_key(broadcast_id: int, delivery: str, position: int) -> str:
    """The idempotency key of the outbox row that carries recipient ``position`` (the dispatcher writes them so):
    its multicast batch of 500, or its own push."""
    if delivery == "multicast":
        return f"broadcast:{broadcast_id}:{(position - 1) // MAX_MULTICAST}"
    return f"broadcast:{broadcast_id}:{position}"
