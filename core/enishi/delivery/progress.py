"""A broadcast's progress: recipients counted as their outbox requests settle, and what the UI is shown.

The outbox calls :func:`count_settled` in the transaction that records a request's outcome, and only the worker
that still holds the request's claim records it, so each request is counted exactly once: ``sent`` and
``failed`` are exact, and progress is one row read however many recipients there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.delivery import quota
from enishi.jobs.after_commit import enqueue_after_commit
from enishi.jobs.queue import JobQueue
from enishi.line.gateway import MAX_MULTICAST
from enishi.line.ratelimit import RateLimitSettings
from enishi.models import LineRequest
from enishi.models.broadcasts import Broadcast

CANCELLED = "配信を中止しました / the broadcast was cancelled"


async def count_settled(
    session: AsyncSession, row: LineRequest, status: str, now: datetime, jobs: JobQueue | None
) -> None:
    """Count a settled request's recipients as sent (``accepted``) or failed; finish the broadcast when all are."""
    recipients = len(row.friend_ids) or len(row.recipients)
    column = Broadcast.sent if status == "accepted" else Broadcast.failed
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == row.broadcast_id)
        .values({column: column + recipients})
        .execution_options(synchronize_session=False)
    )
    if await finish_if_done(session, row.broadcast_id, now) and jobs is not None:
        # What was just sent is in LINE's consumption now: fetch it, so the next estimate counts it.
        job_id = f"line_quota:{row.workspace_id}"
        enqueue_after_commit(session, jobs, quota.REFRESH_JOB, job_id=job_id, workspace_id=row.workspace_id)


async def finish_if_done(session: AsyncSession, broadcast_id: int | None, now: datetime) -> bool:
    """Mark the broadcast completed once every recipient is written and counted (sent, failed or cancelled)."""
    result = await session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status.in_(("sending", "paused")),
            Broadcast.total.is_not(None),
            Broadcast.written >= Broadcast.total,
            Broadcast.sent + Broadcast.failed + Broadcast.cancelled >= Broadcast.total,
        )
        .values(status="completed", finished_at=now, lease_until=None, paused_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class Progress:
    total: int | None  # None until sending starts (the audience is fixed then)
    written: int  # recipients whose requests are in the outbox
    sent: int
    failed: int
    cancelled: int
    remaining: int
    percent: float
    rate_per_second: float | None  # recipients a second: as measured, or what the rate limit allows
    estimated_finish_at: datetime | None


def progress_of(broadcast: Broadcast, now: datetime, rates: RateLimitSettings) -> Progress:
    done = broadcast.sent + broadcast.failed + broadcast.cancelled
    planned = broadcast.total if broadcast.total is not None else broadcast.estimated_recipients
    remaining = max(planned - done, 0)
    percent = round(100.0 * done / planned, 1) if planned else (100.0 if broadcast.total == 0 else 0.0)
    rate = _measured_rate(broadcast, now) or _allowed_rate(broadcast.delivery, rates)
    finish = None
    if broadcast.status in ("scheduled", "sending") and remaining and rate:
        start = max(now, broadcast.send_at) if broadcast.status == "scheduled" else now
        finish = start + timedelta(seconds=remaining / rate)
    return Progress(
        total=broadcast.total,
        written=broadcast.written,
        sent=broadcast.sent,
        failed=broadcast.failed,
        cancelled=broadcast.cancelled,
        remaining=remaining if broadcast.status not in ("completed", "cancelled", "failed") else 0,
        percent=percent,
        rate_per_second=round(rate, 1) if rate else None,
        estimated_finish_at=finish,
    )


def _measured_rate(broadcast: Broadcast, now: datetime) -> float | None:
    counted = broadcast.sent + broadcast.failed
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
