"""Enqueue a job once the session's transaction commits, and never if it rolls back.

Work is recorded in the database first (an outbox row, a scenario run); the job only wakes a worker up, so it
must not run before the row is visible, and a failed enqueue is not lost work: the sweepers find the row.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from enishi.jobs.queue import JobQueue, QueueUnavailable

log = logging.getLogger("enishi.jobs")
_PENDING = "enishi.jobs.after_commit"
_background: set[asyncio.Task[Any]] = set()


@dataclass(frozen=True)
class _Enqueue:
    jobs: JobQueue
    name: str
    job_id: str | None
    defer_until: datetime | None
    kwargs: dict[str, Any]


def enqueue_after_commit(
    session: AsyncSession,
    jobs: JobQueue | None,
    name: str,
    *,
    job_id: str | None = None,
    defer_until: datetime | None = None,
    **kwargs: Any,
) -> None:
    """Queue ``name`` when ``session`` commits; without a queue the sweepers pick the work up instead."""
    if jobs is None:
        return
    sync = session.sync_session
    pending: list[_Enqueue] | None = sync.info.get(_PENDING)
    if pending is None:
        pending = sync.info[_PENDING] = []
        event.listen(sync, "after_commit", _enqueue_pending)
        event.listen(sync, "after_rollback", _drop_pending)
    pending.append(_Enqueue(jobs, name, job_id, defer_until, kwargs))


def pending_after_commit(session: AsyncSession) -> list[_Enqueue]:
    """The jobs ``session`` will queue when it commits (so a caller can avoid queuing the same twice)."""
    pending: list[_Enqueue] = session.sync_session.info.get(_PENDING) or []
    return pending


def _enqueue_pending(sync: Session) -> None:
    pending: list[_Enqueue] = sync.info.pop(_PENDING, None) or []
    if not pending:
        return
    loop = asyncio.get_running_loop()
    for item in pending:
        task = loop.create_task(enqueue_quietly(item.jobs, item.name, item.job_id, item.defer_until, **item.kwargs))
        _background.add(task)
        task.add_done_callback(_background.discard)


def _drop_pending(sync: Session) -> None:
    sync.info.pop(_PENDING, None)


async def enqueue_quietly(
    jobs: JobQueue, name: str, job_id: str | None = None, defer_until: datetime | None = None, **kwargs: Any
) -> None:
    """Enqueue, logging a failure instead of raising: the row is there, and a sweeper will find it."""
    try:
        await jobs.enqueue(name, job_id=job_id, defer_until=defer_until, **kwargs)
    except QueueUnavailable:
        # The queue logged the outage once; one line per job would bury the log while it lasts.
        log.debug("queue unavailable: %s (%s) is left to the sweepers", name, job_id)
    except Exception:
        log.exception("could not enqueue %s (%s); a sweeper will pick the work up", name, job_id)
