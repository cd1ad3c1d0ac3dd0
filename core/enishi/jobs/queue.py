"""The job queue interface both runners implement, and the request checks they share.

The database holds the pending work; a queued job only wakes a worker to do it. A job may therefore run
twice (a retry, a second worker, a sweeper catching up) and must be idempotent. Both runners apply the same
checks, so a job that works in embedded mode also works through Redis.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from enishi.types import JobType

if TYPE_CHECKING:
    from enishi.registry import Registry

# arq's enqueue_job takes the job name positionally as ``function``, and its own options start with ``_``.
RESERVED_KWARGS = frozenset({"function"})


class JobError(Exception):
    """A job request or job configuration the runners refuse."""


class UnknownJobError(JobError, LookupError):
    pass


class QueueUnavailable(JobError):
    """The queue cannot be reached (Redis is down). Nothing is lost: the work is in the database, and the
    sweepers queue it again once the queue is back."""


class JobQueue(Protocol):
    """What plugins and core code enqueue work through (``ctx.jobs``)."""

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_until: datetime | None = None, **kwargs: Any
    ) -> bool:
        """Queue the job registered as ``name`` (e.g. ``"core.purge_sessions_now"``) with ``kwargs``.

        Returns False, queuing nothing, while a job with the same ``job_id`` is queued or running, so a stable
        id deduplicates. ``defer_until`` (timezone-aware) delays the start. ``kwargs`` must be picklable.
        """
        ...

    async def close(self) -> None: ...


class ManagedQueue(JobQueue, Protocol):
    """A queue as the process that owns it sees it: started at startup, closed at shutdown."""

    async def start(self) -> None: ...

    async def check(self) -> dict[str, str]:
        """What of the queue does not work (the part, e.g. ``redis``, and what is wrong), for the health endpoint;
        empty while it all works."""
        ...


HEAD_START = timedelta(minutes=10)


def ahead_of_queue() -> datetime:
    """A start time for work someone is waiting for (a reply to a friend's message): already past, so the job is due
    at once and comes before the jobs queued in the last minutes. The queue runs due jobs in the order of their
    start times (arq keeps them sorted by it), so a burst of webhooks queued first does not hold the answers back
    until it is all processed; the in-process runner starts every due job at once anyway."""
    return datetime.now(UTC) - HEAD_START


def find_job(registry: Registry, name: str) -> JobType:
    entry = registry.get("jobs", name)
    if entry is None or not isinstance(entry.item, JobType):
        # Schedules are run by the runners themselves; on-demand work needs its own JobType.
        raise UnknownJobError(f"no job type is registered as {name!r}")
    return entry.item


def check_request(name: str, defer_until: datetime | None, kwargs: Mapping[str, Any]) -> None:
    if defer_until is not None and defer_until.tzinfo is None:
        raise JobError(f"{name}: defer_until must be timezone-aware")
    bad = sorted(k for k in kwargs if k in RESERVED_KWARGS or k.startswith("_"))
    if bad:
        raise JobError(f"{name}: argument names {', '.join(bad)} are reserved by the job queue")


def pickled_copy(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """What a job would get from arq: a pickled copy, so embedded mode fails the same way on bad arguments."""
    try:
        data = pickle.dumps(kwargs)
    except Exception as exc:
        raise JobError(f"{name}: job arguments must be picklable (arq stores them in Redis): {exc}") from exc
    return pickle.loads(data)  # noqa: S301 - bytes we just produced ourselves
