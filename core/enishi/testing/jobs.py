"""The in-process job runner of the app under test, and the wall clock, moved with time-machine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from enishi.testing.app import EnishiApp


class Enqueued(NamedTuple):
    name: str
    job_id: str | None
    defer_until: datetime | None
    kwargs: dict[str, Any]


class RecordingQueue:
    """A job queue that runs nothing and records what it is asked to run, for code called outside the app (e.g.
    ``JobContext(..., jobs=RecordingQueue())``): what a transaction queues once it commits, and when."""

    def __init__(self) -> None:
        self.enqueued: list[Enqueued] = []

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_until: datetime | None = None, **kwargs: Any
    ) -> bool:
        self.enqueued.append(Enqueued(name, job_id, defer_until, kwargs))
        return True

    async def close(self) -> None:
        return None

    def named(self, name: str) -> list[Enqueued]:
        return [job for job in self.enqueued if job.name == name]


@dataclass
class Jobs:
    """The in-process job runner of the app under test."""

    app: EnishiApp

    async def drain(self) -> None:
        """Run everything that is due, and what it enqueues, until nothing is left (deferred jobs wait)."""
        await self.app.settle()

    async def run_schedules(self, names: Sequence[str] | None = None) -> None:
        """Run every registered ``Schedule`` once (or those named, e.g. ``core.sweep_scenario_runs``), as if
        their time had come, then drain: after moving the clock, this is what picks up waits that are now due."""
        from enishi.context import JobContext
        from enishi.types import Schedule

        services = self.app.services
        job = JobContext(settings=services.settings, db=services.db, host=services.host, jobs=services.jobs)
        schedules = {e.key: e.item for e in self.app.host.registry.all("jobs") if isinstance(e.item, Schedule)}
        unknown = sorted(set(names or ()) - set(schedules))
        if unknown:
            raise KeyError(f"no such schedules: {', '.join(unknown)}")
        for key, schedule in schedules.items():
            if names is None or key in names:
                await self.app.settle()
                await schedule.fn(job)
        await self.app.settle()


class Clock:
    """The wall clock of the test (``time.time``, ``datetime.now``), moved with time-machine; it keeps ticking."""

    def __init__(self, start: datetime | None = None) -> None:
        import time_machine

        self._travel = time_machine.travel(start or datetime.now().astimezone(), tick=True)
        self._traveller: Any = None

    def start(self) -> Clock:
        self._traveller = self._travel.start()
        return self

    def stop(self) -> None:
        self._travel.stop()

    def move_to(self, moment: datetime) -> None:
        """Jump to ``moment`` (give it a time zone)."""
        self._traveller.move_to(moment)

    def shift(self, delta: timedelta | None = None, **parts: float) -> None:
        """Move forward: ``shift(timedelta(days=1))`` or ``shift(hours=2)``."""
        self._traveller.shift(delta if delta is not None else timedelta(**parts))
