from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from arq.cron import next_cron

from enishi.jobs.schedules import CronSpec, ScheduleError, cron_spec, next_tick

VALID = [
    timedelta(seconds=1),
    timedelta(seconds=15),
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(minutes=10),
    timedelta(minutes=20),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=8),
    timedelta(days=1),
]


def test_cron_fields_for_each_unit() -> None:
    assert cron_spec("p.s", timedelta(seconds=20)) == CronSpec(second=frozenset({0, 20, 40}))
    assert cron_spec("p.m", timedelta(minutes=10)) == CronSpec(
        second=frozenset({0}), minute=frozenset({0, 10, 20, 30, 40, 50})
    )
    assert cron_spec("p.h", timedelta(hours=6)) == CronSpec(
        second=frozenset({0}), minute=frozenset({0}), hour=frozenset({0, 6, 12, 18})
    )
    assert cron_spec("p.d", timedelta(days=1)).hour == frozenset({0})


@pytest.mark.parametrize("every", VALID, ids=str)
def test_arq_runs_the_cron_fields_exactly_every_interval(every: timedelta) -> None:
    # arq's own scheduler, fed our fields, must step by exactly `every` from any starting point.
    spec = cron_spec("p.x", every).as_kwargs()
    at = datetime(2025, 3, 30, 0, 59, 58, 1, tzinfo=UTC)  # near a minute, hour and month edge
    runs = []
    for _ in range(5):
        at = next_cron(at, **spec)
        runs.append(at)
    assert {b - a for a, b in itertools.pairwise(runs)} == {every}
    step = int(every.total_seconds())
    assert all(int(r.timestamp()) % step == 0 for r in runs)  # the UTC grid next_tick also uses


@pytest.mark.parametrize(
    "every",
    [
        timedelta(0),
        timedelta(milliseconds=500),
        timedelta(seconds=1.5),
        timedelta(seconds=7),
        timedelta(seconds=90),
        timedelta(minutes=45),
        timedelta(hours=5),
        timedelta(days=2),
    ],
    ids=str,
)
def test_intervals_off_the_grid_are_refused_with_the_schedule_named(every: timedelta) -> None:
    with pytest.raises(ScheduleError, match=r"schedule p\.bad: every="):
        cron_spec("p.bad", every)


def test_next_tick_is_on_the_grid_and_never_repeats_a_tick() -> None:
    assert next_tick(600, 1_000_000.0) == 1_000_200.0
    assert next_tick(600, 1_000_200.0) == 1_000_800.0  # exactly on a tick: the next one
    # Woken a hair before the tick that just ran: still the following tick, not the same again.
    assert next_tick(600, 1_000_199.999, after=1_000_200.0) == 1_000_800.0
